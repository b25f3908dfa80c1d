using System.Text.Json;
using Coditect.Cli;

namespace Coditect.Client.Tests.Cli;

/// <summary>What one in-process <c>coditect</c> run gave: its exit code and what it wrote.</summary>
public sealed record CliResult(int Exit, string Out, string Error)
{
    public JsonElement Json => JsonDocument.Parse(Out).RootElement;
}

/// <summary>Runs the CLI's entry point in process with its own writers and an environment of the test's making.</summary>
public static class CliRun
{
    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string?> environment, CancellationToken ct, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CliApp.RunAsync(args, new Terminal(output, error, new StringReader(""), name => environment.GetValueOrDefault(name)), ct);
        return new CliResult(exit, output.ToString(), error.ToString());
    }
}

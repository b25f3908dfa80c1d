using Coditect.Server.Data;
using Coditect.Server.Signing;

namespace Coditect.Server.Platform;

/// <summary>
/// An operator command a feature adds (<see cref="Commands.AddOperatorCommand"/>), run instead of the server once
/// pending migrations are applied. It gets the arguments after its name and the process's output and error streams,
/// and returns the exit code: 0 done, 1 refused (say why on the error stream), 2 bad arguments (print the usage).
/// </summary>
public sealed record OperatorCommand(
    string Name,
    Func<IServiceProvider, IReadOnlyList<string>, TextWriter, TextWriter, Task<int>> RunAsync);

/// <summary>
/// Operator commands run instead of the server: <c>migrate</c> applies pending migrations and exits;
/// <c>rotate-signing-key [ES256|RS256]</c> makes a new lease-token signing key and retires the others (their
/// public keys stay published until the tokens they signed have expired); and those features add
/// (<see cref="OperatorCommand"/>, e.g. Identity's <c>create-staff</c>).
/// </summary>
public static class Commands
{
    public static IServiceCollection AddOperatorCommand(
        this IServiceCollection services, string name, Func<IServiceProvider, IReadOnlyList<string>, TextWriter, TextWriter, Task<int>> run) =>
        services.AddSingleton(new OperatorCommand(name, run));

    public static async Task<bool> RunCommandAsync(this WebApplication app, string[] args)
    {
        var command = args.FirstOrDefault(a => !a.StartsWith('-') && !a.Contains('=', StringComparison.Ordinal));
        switch (command)
        {
            case "migrate":
                await app.Services.MigrateAsync(force: true, CancellationToken.None);
                return true;
            case "rotate-signing-key":
                await app.Services.MigrateAsync(force: false, CancellationToken.None);
                var algorithm = args.SkipWhile(a => a != command).Skip(1).FirstOrDefault();
                if (algorithm is not (null or "ES256" or "RS256"))
                {
                    await System.Console.Error.WriteLineAsync("usage: rotate-signing-key [ES256|RS256]");
                    Environment.ExitCode = 2;
                    return true;
                }

                var kid = await app.Services.GetRequiredService<LeaseSigningKeys>().RotateAsync(algorithm, CancellationToken.None);
                await System.Console.Out.WriteLineAsync($"New lease signing key {kid}; older keys stay published until their tokens expire.");
                return true;
            default:
                var added = app.Services.GetServices<OperatorCommand>().FirstOrDefault(c => c.Name == command);
                if (added is null)
                {
                    return false;
                }

                await app.Services.MigrateAsync(force: false, CancellationToken.None);
                Environment.ExitCode = await added.RunAsync(
                    app.Services, [.. args.SkipWhile(a => a != command).Skip(1)], System.Console.Out, System.Console.Error);
                return true;
        }
    }
}

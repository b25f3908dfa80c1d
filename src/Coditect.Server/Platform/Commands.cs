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
/// <c>rotate-signing-key [ES256|EdDSA|RS256]</c> makes a new lease-token signing key and retires the others (their
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
                Environment.ExitCode = await RotateSigningKeysAsync(app.Services.GetRequiredService<LeaseSigningKeys>(), [.. args.SkipWhile(a => a != command).Skip(1)]);
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

    /// <summary>
    /// <c>rotate-signing-key [ES256|EdDSA|RS256] [--org ORGANIZATION_ID]</c>: a new lease signing key for one organization, or
    /// for every organization (after a suspected compromise of the master key, or to change the algorithm everywhere).
    /// </summary>
    private static async Task<int> RotateSigningKeysAsync(LeaseSigningKeys keys, string[] args)
    {
        string? algorithm = null;
        Guid? organization = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case var named when algorithm is null && TokenAlgorithm.Find(named) is not null:
                    algorithm = args[i];
                    break;
                case "--org" when i + 1 < args.Length && Guid.TryParse(args[i + 1], out var id):
                    organization = id;
                    i++;
                    break;
                default:
                    await System.Console.Error.WriteLineAsync("usage: rotate-signing-key [ES256|EdDSA|RS256] [--org ORGANIZATION_ID]");
                    return 2;
            }
        }

        if (organization is { } one)
        {
            var kid = await keys.RotateAsync(one, algorithm, CancellationToken.None);
            await System.Console.Out.WriteLineAsync($"New lease signing key {kid} for organization {one}; older keys stay published until what they signed expires.");
        }
        else
        {
            var count = await keys.RotateAllAsync(algorithm, CancellationToken.None);
            await System.Console.Out.WriteLineAsync($"New lease signing keys for {count} organization(s); older keys stay published until what they signed expires.");
        }

        return 0;
    }
}

using Coditect.Server.Data;
using Coditect.Server.Signing;

namespace Coditect.Server.Platform;

/// <summary>
/// Operator commands run instead of the server: <c>migrate</c> applies pending migrations and exits;
/// <c>rotate-signing-key [ES256|RS256]</c> makes a new lease-token signing key and retires the others (their
/// public keys stay published until the tokens they signed have expired).
/// </summary>
public static class Commands
{
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
                    await Console.Error.WriteLineAsync("usage: rotate-signing-key [ES256|RS256]");
                    Environment.ExitCode = 2;
                    return true;
                }

                var kid = await app.Services.GetRequiredService<LeaseSigningKeys>().RotateAsync(algorithm, CancellationToken.None);
                await Console.Out.WriteLineAsync($"New lease signing key {kid}; older keys stay published until their tokens expire.");
                return true;
            default:
                return false;
        }
    }
}

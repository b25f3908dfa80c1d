using Microsoft.Extensions.Options;

namespace Coditect.Server.Identity;

/// <summary>
/// Once the schema is current, before the node takes traffic: loads (or creates) the access-token signing key, and
/// flags the users <c>Staff:Emails</c> lists as staff.
/// </summary>
public sealed class IdentityStartup(
    AccessTokens accessTokens, IServiceProvider services, IOptions<StaffOptions> staff, ILogger<IdentityStartup> logger) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        await accessTokens.InitializeAsync(cancellationToken);
        await StaffAccounts.FlagListedAsync(services, staff.Value.Emails, logger, cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

namespace Coditect.Server.Identity;

/// <summary>Loads (or creates) the access-token signing key once the schema is current, before the node takes traffic.</summary>
public sealed class IdentityStartup(AccessTokens accessTokens) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => accessTokens.InitializeAsync(cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

namespace Coditect.Server.Signing;

/// <summary>Loads the lease signing keys (creating the first) once the schema is current, before the node takes traffic.</summary>
public sealed class SigningStartup(MasterKey masterKey, LeaseSigningKeys keys, ILogger<SigningStartup> logger) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Master key from {Source}", masterKey.Source);
        await keys.LoadAsync(cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

namespace Coditect.Server.Signing;

/// <summary>Loads the lease signing keys (creating the first) once the schema is current, before the node takes traffic.</summary>
public sealed class SigningStartup(MasterKey masterKey, LeaseSigningKeys keys, Google.GoogleCloud google, ILogger<SigningStartup> logger) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Master key from {Source}", masterKey.Source);
        if (google.SettingsFromSecretManager.Count > 0)
        {
            logger.LogInformation("Settings from Secret Manager: {Keys}", string.Join(", ", google.SettingsFromSecretManager));
        }

        await keys.LoadAsync(cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

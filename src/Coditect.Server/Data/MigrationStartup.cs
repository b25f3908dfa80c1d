using Microsoft.Extensions.Options;

namespace Coditect.Server.Data;

/// <summary>
/// Before the node takes traffic (the first hosted service to start): logs where the data lives and applies pending
/// migrations, or, with <c>Database:MigrateOnStart=false</c>, refuses to start on a schema that is not current.
/// </summary>
public sealed class MigrationStartup(IServiceProvider services) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => services.MigrateAsync(force: false, cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class Migrations
{
    /// <summary>Logs where the data lives and applies pending migrations (always when <paramref name="force"/>, as the <c>migrate</c> command does).</summary>
    public static async Task MigrateAsync(this IServiceProvider services, bool force, CancellationToken ct)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Coditect.Startup");
        logger.LogInformation("Database: {Database}", services.GetRequiredService<DatabaseLocation>().Description);
        await using var scope = services.CreateAsyncScope();
        var migrator = scope.ServiceProvider.GetRequiredService<SchemaMigrator>();
        if (!force && !services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStart)
        {
            var pending = await migrator.PendingAsync(ct);
            if (pending.Count > 0)
            {
                throw new InvalidOperationException(
                    $"The database schema is not current ({pending.Count} migration(s) pending: {string.Join(", ", pending)}). " +
                    "Run the server with the 'migrate' argument first, or set Database:MigrateOnStart=true.");
            }

            return;
        }

        await migrator.MigrateAsync(ct);
        logger.LogInformation("Schema is current");
    }
}

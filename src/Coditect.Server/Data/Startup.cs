using Coditect.Server.Signing;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Data;

public static class Startup
{
    /// <summary>Logs where the data lives and applies pending migrations (always when <paramref name="force"/>, as the <c>migrate</c> command does).</summary>
    public static async Task MigrateAsync(this WebApplication app, bool force)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Coditect.Startup");
        var location = app.Services.GetRequiredService<DatabaseLocation>();
        logger.LogInformation("Database: {Database}", location.Description);
        logger.LogInformation("Master key from {Source}", app.Services.GetRequiredService<MasterKey>().Source);
        await using var scope = app.Services.CreateAsyncScope();
        if (!force && !app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStart)
        {
            var pending = await scope.ServiceProvider.GetRequiredService<SchemaMigrator>().PendingAsync(app.Lifetime.ApplicationStopping);
            if (pending.Count > 0)
            {
                throw new InvalidOperationException(
                    $"The database schema is not current ({pending.Count} migration(s) pending: {string.Join(", ", pending)}). " +
                    "Run the server with the 'migrate' argument first, or set Database:MigrateOnStart=true.");
            }

            return;
        }

        await scope.ServiceProvider.GetRequiredService<SchemaMigrator>().MigrateAsync(app.Lifetime.ApplicationStopping);
        logger.LogInformation("Schema is current");
    }
}

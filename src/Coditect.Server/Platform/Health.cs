using Coditect.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Coditect.Server.Platform;

/// <summary>Ready means the database answers and every migration is applied.</summary>
public sealed class DatabaseHealthCheck(CoditectDbContext db, SchemaMigrator migrator) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var ct = cancellationToken;
        try
        {
            if (!await db.Database.CanConnectAsync(ct))
            {
                return HealthCheckResult.Unhealthy("database unreachable");
            }

            var pending = await migrator.PendingAsync(ct);
            return pending.Count == 0
                ? HealthCheckResult.Healthy("database reachable and migrated")
                : HealthCheckResult.Unhealthy($"{pending.Count} migration(s) pending");
        }
        catch (Exception e) when (e is System.Data.Common.DbException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("database unreachable");
        }
    }
}

public static class Health
{
    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return builder;
    }

    public static void MapHealth(this WebApplication app)
    {
        app.MapGet("/health", () => TypedResults.Ok(new { status = "ok" })).WithTags("Health")
            .WithName("getHealth").WithSummary("Whether the process answers");
        app.MapGet("/health/live", () => TypedResults.Ok(new { status = "live" })).WithTags("Health")
            .WithName("getLiveness").WithSummary("Liveness: the process answers");
        app.MapHealthChecks("/health/ready", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = (http, report) => http.Response.WriteAsJsonAsync(new
            {
                // Degraded (Redis down, PostgreSQL serving) still takes traffic: 200 and "ready".
                status = report.Status == HealthStatus.Unhealthy ? "not_ready" : "ready",
                checks = report.Entries.ToDictionary(e => e.Key, e => new
                {
                    status = e.Value.Status.ToString().ToLowerInvariant(),
                    description = e.Value.Description,
                    data = e.Value.Data.Count == 0 ? null : e.Value.Data,
                }),
            }),
        });
    }
}

using Coditect.Server.Data;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Platform.Outbox;

/// <summary>Deletes events the cluster dispatcher handled more than <c>Outbox:RetentionDays</c> ago, once an hour in the cluster.</summary>
public sealed class OutboxRetention(IServiceScopeFactory scopes, IOptions<OutboxOptions> options, TimeProvider time, ILogger<OutboxRetention> logger)
    : ClusterJob(scopes, time, logger)
{
    protected override string Name => "outbox-retention";

    protected override TimeSpan Period => TimeSpan.FromHours(1);

    protected override async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var db = services.GetRequiredService<CoditectDbContext>();
        var cutoff = Clock.GetUtcNow().UtcDateTime.AddDays(-options.Value.RetentionDays);
        var deleted = await db.RunAsSystemAsync(() => db.Set<OutboxEvent>().IgnoreQueryFilters()
            .Where(e => e.CreatedAt < cutoff && db.Set<OutboxSequence>().IgnoreQueryFilters()
                .Any(s => s.TenantId == e.TenantId && s.DispatchedSeq >= e.Seq))
            .ExecuteDeleteAsync(ct), ct);
        if (deleted > 0)
        {
            logger.LogInformation("Deleted {Count} delivered event(s) older than {Days} days", deleted, options.Value.RetentionDays);
        }
    }
}

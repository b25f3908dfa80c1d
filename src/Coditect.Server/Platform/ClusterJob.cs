using Coditect.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Coditect.Server.Platform;

/// <summary>The lease row of one cluster job: which node runs it until when, and when it last ran.</summary>
[NotAudited]
public sealed class ClusterJobLease
{
    public string Name { get; set; } = "";
    public string? Holder { get; set; }
    public DateTime? LeaseUntil { get; set; }
    public DateTime? LastRunAt { get; set; }
}

internal sealed class ClusterJobLeaseConfiguration : IEntityTypeConfiguration<ClusterJobLease>
{
    public void Configure(EntityTypeBuilder<ClusterJobLease> job)
    {
        job.ToTable("cluster_jobs");
        job.HasKey(j => j.Name);
        job.Property(j => j.Name).HasMaxLength(100);
        job.Property(j => j.Holder).HasMaxLength(200);
    }
}

/// <summary>
/// A named job that runs once per <see cref="Period"/> in the whole cluster. Every node runs the loop; the one that
/// holds the job's lease row (<c>cluster_jobs</c>, taken by a conditional UPDATE on SQLite and PostgreSQL alike, no
/// Redis needed) does the work, and another takes over when a holder stops renewing (it died). Work must be safe to
/// repeat: a holder that stalls past its lease may overlap with the next for one run.
/// </summary>
public abstract class ClusterJob(IServiceScopeFactory scopes, TimeProvider clock, ILogger logger) : BackgroundService
{
    private readonly string _holder = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
    private readonly LogThrottle _failures = new(TimeSpan.FromSeconds(10));

    protected TimeProvider Clock => clock;

    protected abstract string Name { get; }

    protected abstract TimeSpan Period { get; }

    /// <summary>The work, in a scope of its own.</summary>
    protected abstract Task RunAsync(IServiceProvider services, CancellationToken ct);

    /// <summary>
    /// How long a holder keeps the job without renewing: long enough for a slow run, short enough to take over. A job
    /// whose lateness costs users (the queue's offers) holds it for less; the price is a rare overlapping run.
    /// </summary>
    protected virtual TimeSpan Hold => Period + TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Checked more often than it runs, so a takeover after a holder died costs little more than the lease.
        using var timer = new PeriodicTimer(Period < TimeSpan.FromSeconds(10) ? Period : TimeSpan.FromSeconds(10), clock);
        do
        {
            try
            {
                await TickAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                if (_failures.Count(out var count))
                {
                    logger.LogWarning("Cluster job {Job} failed ({Count} failures since the last such line): {Error}", Name, count, e.GetBaseException().Message);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Gives the job up on a clean stop, so that another node (or this one, restarted) takes it at its next check.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
            var name = Name;
            var holder = _holder;
            await db.Set<ClusterJobLease>().Where(j => j.Name == name && j.Holder == holder)
                .ExecuteUpdateAsync(j => j.SetProperty(x => x.Holder, (string?)null).SetProperty(x => x.LeaseUntil, (DateTime?)null), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogDebug("Cluster job {Job} was not given up at stop ({Error}); another node takes it when its hold ends.", Name, e.GetBaseException().Message);
        }
    }

    /// <summary>Takes or renews the lease and runs the job when it is due. True when this node ran it.</summary>
    internal async Task<bool> TickAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var name = Name;
        await db.Database.ExecuteSqlAsync($"INSERT INTO cluster_jobs (name) VALUES ({name}) ON CONFLICT (name) DO NOTHING", ct);
        var leaseUntil = now + Hold;
        var holder = _holder;
        var held = await db.Set<ClusterJobLease>()
            .Where(j => j.Name == name && (j.Holder == null || j.Holder == holder || j.LeaseUntil < now))
            .ExecuteUpdateAsync(j => j.SetProperty(x => x.Holder, holder).SetProperty(x => x.LeaseUntil, leaseUntil), ct);
        if (held == 0)
        {
            return false;
        }

        var dueBefore = now - Period;
        var due = await db.Set<ClusterJobLease>().AnyAsync(j => j.Name == name && (j.LastRunAt == null || j.LastRunAt <= dueBefore), ct);
        if (!due)
        {
            return false;
        }

        await RunAsync(scope.ServiceProvider, ct);
        await db.Set<ClusterJobLease>().Where(j => j.Name == name && j.Holder == holder)
            .ExecuteUpdateAsync(j => j.SetProperty(x => x.LastRunAt, now), ct);
        return true;
    }
}

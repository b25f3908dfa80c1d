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
/// <para>
/// A holder writes the row only when it must: it renews its lease once half the hold is spent, and records a run
/// (<c>last_run_at</c>, which a node that takes over reads) when the last one it recorded is half a hold old; between
/// those it keeps both in memory. Renewing and recording on every check made an idle node commit about twice a second
/// (the queue's offers run every second), and on SQLite each commit also empties every other connection's page cache.
/// A node that takes over may so run a frequent job up to half a hold early, once.
/// </para>
/// </summary>
public abstract class ClusterJob(IServiceScopeFactory scopes, TimeProvider clock, ILogger logger) : BackgroundService
{
    private readonly string _holder = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
    private readonly LogThrottle _failures = new(TimeSpan.FromSeconds(10));

    // What this node last wrote while holding the job (by its clock); null when it does not hold it.
    private DateTime? _heldUntil;
    private DateTime? _ranAt;
    private DateTime? _recordedAt;

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
            Forget();
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
        var holder = _holder;
        var half = Hold / 2;
        if (_heldUntil is not { } heldUntil || heldUntil - now < half)
        {
            if (_heldUntil is null)
            {
                await db.Database.ExecuteSqlAsync($"INSERT INTO cluster_jobs (name) VALUES ({name}) ON CONFLICT (name) DO NOTHING", ct);
            }

            var leaseUntil = now + Hold;
            var held = await db.Set<ClusterJobLease>()
                .Where(j => j.Name == name && (j.Holder == null || j.Holder == holder || j.LeaseUntil < now))
                .ExecuteUpdateAsync(j => j.SetProperty(x => x.Holder, holder).SetProperty(x => x.LeaseUntil, leaseUntil), ct);
            if (held == 0)
            {
                Forget();
                return false;
            }

            _heldUntil = leaseUntil;
        }

        var dueBefore = now - Period;
        var due = _ranAt is { } ranAt
            ? ranAt <= dueBefore
            : await db.Set<ClusterJobLease>().AnyAsync(j => j.Name == name && (j.LastRunAt == null || j.LastRunAt <= dueBefore), ct);
        if (!due)
        {
            return false;
        }

        await RunAsync(scope.ServiceProvider, ct);
        _ranAt = now;
        if (_recordedAt is not { } recordedAt || now - recordedAt >= half)
        {
            await db.Set<ClusterJobLease>().Where(j => j.Name == name && j.Holder == holder)
                .ExecuteUpdateAsync(j => j.SetProperty(x => x.LastRunAt, now), ct);
            _recordedAt = now;
        }

        return true;
    }

    private void Forget() => (_heldUntil, _ranAt, _recordedAt) = (null, null, null);
}

using Coditect.Server.Platform;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Coditect.Server.Licensing.Ledger;

/// <summary>Counts of what the Redis ledger had to repair; shown by /health/ready.</summary>
public sealed class RedisLedgerStats
{
    private long _rebuilds;
    private long _repaired;
    private long _fallbacks;

    public long Rebuilds => Interlocked.Read(ref _rebuilds);
    public long Repaired => Interlocked.Read(ref _repaired);
    public long Fallbacks => Interlocked.Read(ref _fallbacks);

    internal void Rebuilt() => Interlocked.Increment(ref _rebuilds);
    internal void RepairedBy(long count) => Interlocked.Add(ref _repaired, count);
    internal void FellBack() => Interlocked.Increment(ref _fallbacks);
}

/// <summary>
/// PostgreSQL stays the seat gate and the record; Redis serves the hot path, heartbeats, from a per-licence lease
/// cache (a sorted set of live leases scored by expiry). Acquire and release run PostgreSQL's one-round-trip batch,
/// then update Redis; so the seat count is exact whatever Redis does, and losing Redis can cost speed, never a seat.
/// A heartbeat is one Lua call plus a queued write-behind (<see cref="HeartbeatWriteBehind"/>). Anything Redis cannot
/// answer for certain falls back to PostgreSQL: a cache that was flushed is rebuilt from PostgreSQL first; a session
/// Redis does not know is heartbeated by PostgreSQL (and re-cached if live); Redis unreachable means PostgreSQL serves
/// every call. Sessions PostgreSQL ended are dropped from Redis at once, and again by the reconciliation in each sweep.
/// Licence changes reach every node's licence copies through the outbox (Licensing/LicensingEvents.cs), not Redis.
/// </summary>
public sealed class RedisSeatLedger(
    PostgresSeatLedger database,
    IConnectionMultiplexer redis,
    LicenseCache licenses,
    HeartbeatWriteBehind writeBehind,
    RedisLedgerStats stats,
    IOptions<LicensingOptions> options,
    ILogger<RedisSeatLedger> logger) : ISeatLedger
{
    /// <summary>
    /// Redis answers a heartbeat only while PostgreSQL's committed expiry is at least this far away: a heartbeat
    /// interval plus two flushes. So the write-behind lands while PostgreSQL still counts the lease as live, and a
    /// node that dies with unflushed heartbeats leaves leases that PostgreSQL extends itself on their next heartbeat.
    /// </summary>
    private TimeSpan ConfirmedMargin => TimeSpan.FromSeconds(options.Value.HeartbeatIntervalSeconds) + (2 * writeBehind.Interval);

    private IDatabase Redis => redis.GetDatabase();

    // During an outage every call fails over: one line per kind per 10 s, with a count (decisions: logs under failure).
    private readonly LogThrottle _fallbackLines = new(TimeSpan.FromSeconds(10));
    private readonly LogThrottle _skipLines = new(TimeSpan.FromSeconds(10));

    /// <summary>
    /// A licence changed (through any node; told by the outbox's every-node delivery): this node's copy is dropped, so
    /// its next call reads PostgreSQL.
    /// </summary>
    public Task LicenseChangedAsync(Guid licenseId)
    {
        licenses.Invalidate(licenseId);
        return Task.CompletedTask;
    }

    /// <summary>
    /// An organization was suspended or unsuspended (told like a licence change): this node's copies of its licences,
    /// which carry the suspension, are dropped.
    /// </summary>
    public Task OrganizationChangedAsync(Guid organizationId)
    {
        licenses.InvalidateOrganization(organizationId);
        return Task.CompletedTask;
    }

    public async Task<AcquireResult> AcquireAsync(AcquireCommand c, CancellationToken ct)
    {
        await writeBehind.EnsureFreshAsync(ct);
        var result = await database.AcquireAsync(c, ct);
        if (result.License is { } license)
        {
            licenses.Put(c.KeyHash, license, c.Now);
        }

        if (result.Outcome is AcquireOutcome.Acquired or AcquireOutcome.Renewed)
        {
            var added = await TryRedisAsync(() => Redis.ScriptEvaluateAsync(RedisScripts.Add, Keys(result.License!.Id),
                [result.SessionId!.Value.ToString("N"), Millis(result.ExpiresAt!.Value), c.HardwareId]));
            if (added is not null && (long)added == 0)
            {
                await PreloadAsync(result.License!.Id, c.Now, ct);
            }
        }

        return result;
    }

    public async Task<LeaseResult> HeartbeatAsync(string keyHash, Guid sessionId, DateTime now, DateTime newExpiry, CancellationToken ct)
    {
        var license = await licenses.GetAsync(keyHash, now, token => database.FindLicenseAsync(keyHash, token), ct);
        if (LedgerRules.LeaseRefusal(license, now) is { } refusal)
        {
            return new LeaseResult(refusal, license, null, null);
        }

        var repairing = false;
        DateTime? promised = null;
        try
        {
            var answer = await HeartbeatInRedisAsync(license!, sessionId, now, newExpiry, ct);
            if (answer.StartsWith('='))
            {
                writeBehind.Enqueue(sessionId, license!.Id, newExpiry, now);
                return new LeaseResult(LeaseOutcome.Ok, license, answer[1..], newExpiry);
            }

            repairing = answer == "!miss";
            promised = answer.StartsWith("!pg:", StringComparison.Ordinal) ? FromMillis(answer[4..]) : null;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            stats.FellBack();
            if (_fallbackLines.Count(out var count))
            {
                logger.LogWarning("Redis unavailable, heartbeats served by PostgreSQL ({Count} since the last such line): {Error}", count, e.Message);
            }

            return await database.HeartbeatAsync(keyHash, sessionId, now, newExpiry, ct);
        }

        // Not a live lease in Redis, or one PostgreSQL must extend itself: PostgreSQL knows exactly why it is refused,
        // or extends it (then it is cached again, with the expiry PostgreSQL just committed).
        var result = await database.HeartbeatAsync(keyHash, sessionId, now, newExpiry, ct);
        if (result.Outcome == LeaseOutcome.SessionExpired && promised > now && promised > result.ExpiresAt &&
            (await database.AdoptExpiriesAsync([(sessionId, promised.Value)], now, ct)).Count == 1)
        {
            // Redis promised this lease longer than PostgreSQL knows: the node that answered those heartbeats stopped
            // before writing them. The lease never lost its seat, so it keeps the promise and is extended now.
            stats.RepairedBy(1);
            result = await database.HeartbeatAsync(keyHash, sessionId, now, newExpiry, ct);
        }

        if (result.Outcome == LeaseOutcome.Ok)
        {
            stats.RepairedBy(repairing ? 1 : 0);
            await TryRedisAsync(() => Redis.ScriptEvaluateAsync(RedisScripts.Add, Keys(license!.Id),
                [sessionId.ToString("N"), Millis(result.ExpiresAt!.Value), result.HardwareId]));
        }

        return result;
    }

    public async Task<LeaseResult> ReleaseAsync(string keyHash, Guid sessionId, DateTime now, CancellationToken ct)
    {
        var result = await database.ReleaseAsync(keyHash, sessionId, now, ct);
        if (result.Outcome == LeaseOutcome.Ok)
        {
            await ForgetAsync(result.License!.Id, [sessionId], ct);
        }

        return result;
    }

    public Task<ValidateResult> ValidateAsync(string keyHash, string? hardwareId, DateTime now, CancellationToken ct) =>
        database.ValidateAsync(keyHash, hardwareId, now, ct);

    /// <summary>
    /// Flushes heartbeats, adopts the heartbeats a stopped node left only in Redis, sweeps in PostgreSQL, then
    /// reconciles: drops from Redis every lease PostgreSQL ended lately.
    /// </summary>
    public async Task<SweepResult> SweepAsync(DateTime now, CancellationToken ct)
    {
        await writeBehind.FlushAsync(ct);
        await AdoptOrphanedHeartbeatsAsync(now, ct);
        var swept = await database.SweepAsync(now, ct);

        var (since, full) = ReconcileFrom(now);
        var ended = await database.RecentlyEndedAsync(since, ct);
        // One script call per licence (its keys share a slot), all in flight at once.
        var removed = await Task.WhenAll(ended.GroupBy(e => e.LicenseId).Select(group => TryRedisAsync(() =>
            Redis.ScriptEvaluateAsync(RedisScripts.Remove, Keys(group.Key), [.. group.Select(e => (RedisValue)e.SessionId.ToString("N"))]))));
        stats.RepairedBy(removed.Sum(r => r is null ? 0 : (long)r));
        Reconciled(now, full, complete: removed.All(r => r is not null));

        return swept;
    }

    /// <summary>Leases looked at per sweep for heartbeats a stopped node left in Redis.</summary>
    private const int AdoptBatch = 5000;

    private readonly LogThrottle _adoptLines = new(TimeSpan.FromSeconds(10));

    /// <summary>
    /// A node killed before its write-behind flushed leaves leases whose clients were promised more than PostgreSQL
    /// knows; Redis still holds those promises. Before PostgreSQL ends anything, the leases that lapse before the next
    /// sweeps (or have lapsed, unswept) take the later expiry Redis holds, so a seat is never freed before the lease its
    /// client was given ends. A healthy node's own heartbeats are flushed by then, so this finds nothing to do.
    /// </summary>
    private async Task AdoptOrphanedHeartbeatsAsync(DateTime now, CancellationToken ct)
    {
        var horizon = now + (2 * TimeSpan.FromSeconds(options.Value.SweepIntervalSeconds)) + writeBehind.Interval;
        var lapsing = await database.LapsingSessionsAsync(horizon, AdoptBatch, ct);
        if (lapsing.Count == 0)
        {
            return;
        }

        List<(Guid SessionId, DateTime ExpiresAt)> promised;
        try
        {
            var scored = await Task.WhenAll(lapsing.GroupBy(l => l.LicenseId).Select(async licence =>
            {
                var leases = licence.ToArray();
                var scores = await Redis.SortedSetScoresAsync(RedisScripts.Leases(licence.Key), [.. leases.Select(l => (RedisValue)l.SessionId.ToString("N"))]);
                return leases.Zip(scores, (lease, score) => (lease.SessionId, Known: lease.ExpiresAt, Promised: score is { } ms ? FromMillis(ms) : (DateTime?)null));
            }));
            promised = [.. scored.SelectMany(s => s).Where(s => s.Promised > s.Known).Select(s => (s.SessionId, s.Promised!.Value))];
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            stats.FellBack();
            return; // nothing Redis promised can be read, nor was anything it promised lately served
        }

        if (promised.Count == 0)
        {
            return;
        }

        var adopted = await database.AdoptExpiriesAsync(promised, now, ct);
        await writeBehind.ConfirmAsync(adopted);
        stats.RepairedBy(adopted.Count);
        if (adopted.Count > 0 && _adoptLines.Count(out var passes))
        {
            logger.LogInformation("Wrote {Count} lease expiries to PostgreSQL that only Redis held (a node stopped before flushing its heartbeats); {Passes} such pass(es) since the last such line",
                adopted.Count, passes);
        }
    }

    /// <summary>How far back a full reconciliation looks: wide enough that failed passes are covered by later ones.</summary>
    public static readonly TimeSpan ReconcileWindow = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How far before the previous pass an incremental one starts: covers a release whose time was read before it
    /// waited for the licence lock, and clocks of other nodes that are a little behind.
    /// </summary>
    public static readonly TimeSpan ReconcileOverlap = TimeSpan.FromSeconds(60);

    private readonly Lock _reconcile = new();
    private DateTime? _reconciledAt;
    private DateTime _fullReconcileAt = DateTime.MinValue;

    /// <summary>
    /// A pass reads what PostgreSQL ended since the last pass that reached Redis in full (less the overlap), not the
    /// whole window each time: at hundreds of releases a second the window holds hundreds of thousands of sessions.
    /// The first pass of a node, every pass after a failed one, and one pass every half window read the whole window,
    /// which is what repairs Redis data restored from an old snapshot.
    /// </summary>
    private (DateTime Since, bool Full) ReconcileFrom(DateTime now)
    {
        lock (_reconcile)
        {
            var windowStart = now - ReconcileWindow;
            if (_reconciledAt is not { } last || now - _fullReconcileAt >= ReconcileWindow / 2)
            {
                return (windowStart, true);
            }

            var since = last - ReconcileOverlap;
            return (since > windowStart ? since : windowStart, false);
        }
    }

    private void Reconciled(DateTime at, bool full, bool complete)
    {
        lock (_reconcile)
        {
            if (!complete)
            {
                _reconciledAt = null; // the next pass reads the whole window again
                return;
            }

            _reconciledAt = _reconciledAt is { } last && last > at ? last : at;
            if (full && at > _fullReconcileAt)
            {
                _fullReconcileAt = at;
            }
        }
    }

    /// <summary>A licence was deleted (told once in the cluster): its keys go, whatever they hold.</summary>
    public async Task LicenseDeletedAsync(Guid licenseId)
    {
        licenses.Invalidate(licenseId);
        await TryRedisAsync(() => Redis.ScriptEvaluateAsync(RedisScripts.Drop, Keys(licenseId)));
    }

    public async Task ForgetAsync(Guid licenseId, IReadOnlyCollection<Guid> sessionIds, CancellationToken ct) =>
        await TryRedisAsync(() => Redis.ScriptEvaluateAsync(RedisScripts.Remove, Keys(licenseId),
            [.. sessionIds.Select(id => (RedisValue)id.ToString("N"))]));

    private async Task<string> HeartbeatInRedisAsync(LicenseSnapshot license, Guid sessionId, DateTime now, DateTime newExpiry, CancellationToken ct)
    {
        RedisValue[] args = [sessionId.ToString("N"), Millis(now), Millis(newExpiry), (long)ConfirmedMargin.TotalMilliseconds];
        var answer = (string?)await Redis.ScriptEvaluateAsync(RedisScripts.Heartbeat, Keys(license.Id), args) ?? "!miss";
        if (answer == "!rebuild")
        {
            await RebuildAsync(license.Id, now, ct);
            answer = (string?)await Redis.ScriptEvaluateAsync(RedisScripts.Heartbeat, Keys(license.Id), args) ?? "!miss";
        }

        return answer;
    }

    /// <summary>
    /// After an acquire on a licence whose cache is not loaded: load it now, with the new lease, so the licence's first
    /// heartbeats do not pay for it. The seat is already committed, so a failure here only leaves the load to the first
    /// heartbeat, as before.
    /// </summary>
    private async Task PreloadAsync(Guid licenseId, DateTime now, CancellationToken ct)
    {
        try
        {
            await RebuildAsync(licenseId, now, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogDebug("Could not load the Redis lease cache of licence {LicenseId} after an acquire: {Error}", licenseId, e.GetBaseException().Message);
        }
    }

    /// <summary>Redis has no cache for this licence (first use, or Redis lost its data): load it from PostgreSQL.</summary>
    private async Task RebuildAsync(Guid licenseId, DateTime now, CancellationToken ct)
    {
        // This node's heartbeats of the licence that PostgreSQL does not have yet must land before it is read. With
        // none, the rebuild does not wait behind a flush of other licences' heartbeats: on a node serving thousands of
        // licences, each one's first heartbeat would otherwise queue behind the whole write-behind.
        if (writeBehind.HasUnflushed(licenseId))
        {
            await writeBehind.FlushAsync(ct);
        }

        var live = await database.LiveSessionsAsync(licenseId, now, ct);
        var args = live.SelectMany(s => new RedisValue[] { s.SessionId.ToString("N"), Millis(s.ExpiresAt), s.HardwareId }).ToArray();
        var loaded = await Redis.ScriptEvaluateAsync(RedisScripts.Rebuild, Keys(licenseId), args);
        if ((long)loaded == 1)
        {
            stats.Rebuilt();
            AnnounceRebuild(licenseId, live.Count);
        }
    }

    private readonly LogThrottle _rebuildLines = new(TimeSpan.FromSeconds(1));

    /// <summary>
    /// A licence's cache was loaded from PostgreSQL: its first acquire or heartbeat since this Redis started, or Redis
    /// lost its data. After a loss (or at a first start) every licence comes here once, thousands on a large node, so
    /// the line is written at most once a second with how many were loaded since; /health/ready counts them all
    /// (rebuilds).
    /// </summary>
    private void AnnounceRebuild(Guid licenseId, int live)
    {
        if (!_rebuildLines.Count(out var count))
        {
            return;
        }

        logger.LogInformation("Loaded the Redis lease cache of licence {LicenseId} from PostgreSQL ({Count} live lease(s)); {Loaded} licence cache(s) loaded since the last such line, this one included",
            licenseId, live, count);
    }

    private async Task<RedisResult?> TryRedisAsync(Func<Task<RedisResult>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // PostgreSQL already holds the truth; the heartbeat fallback and the next reconciliation repair Redis.
            stats.FellBack();
            if (_skipLines.Count(out var count))
            {
                logger.LogWarning("Redis updates skipped, PostgreSQL stays authoritative ({Count} since the last such line): {Error}", count, e.Message);
            }

            return null;
        }
    }

    internal static RedisKey[] Keys(Guid licenseId) =>
        [RedisScripts.Leases(licenseId), RedisScripts.Hardware(licenseId), RedisScripts.Ready(licenseId), RedisScripts.Confirmed(licenseId)];

    internal static DateTime FromMillis(double millis) => DateTime.UnixEpoch.AddMilliseconds(millis);

    private static DateTime FromMillis(string millis) => FromMillis(double.Parse(millis, System.Globalization.CultureInfo.InvariantCulture));

    internal static long Millis(DateTime time) => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)).ToUnixTimeMilliseconds();
}

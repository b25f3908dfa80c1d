using StackExchange.Redis;

namespace Coditect.Server.Licensing;

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
/// </summary>
public sealed class RedisSeatLedger(
    PostgresSeatLedger database,
    IConnectionMultiplexer redis,
    LicenseCache licenses,
    HeartbeatWriteBehind writeBehind,
    RedisLedgerStats stats,
    ILogger<RedisSeatLedger> logger) : ISeatLedger
{
    private const string LicenseChanges = "cdx:license-changed";
    private IDatabase Redis => redis.GetDatabase();

    /// <summary>Listens for licence changes made through any node, so every node's licence cache drops them at once.</summary>
    public void Subscribe() =>
        redis.GetSubscriber().Subscribe(LicenseChanges, (_, message) =>
        {
            if (Guid.TryParse((string?)message, out var licenseId))
            {
                licenses.Invalidate(licenseId);
            }
        });

    public async Task LicenseChangedAsync(Guid licenseId)
    {
        licenses.Invalidate(licenseId);
        try
        {
            await redis.GetSubscriber().PublishAsync(LicenseChanges, licenseId.ToString("N"));
        }
        catch (Exception e) when (e is RedisException or RedisTimeoutException or RedisConnectionException)
        {
            logger.LogWarning("Could not announce a licence change; other nodes see it within the cache time: {Error}", e.Message);
        }
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
            await TryRedisAsync(() => Redis.ScriptEvaluateAsync(RedisScripts.Add, Keys(result.License!.Id),
                [result.SessionId!.Value.ToString("N"), Millis(result.ExpiresAt!.Value), c.HardwareId]));
        }

        return result;
    }

    public async Task<LeaseResult> HeartbeatAsync(string keyHash, Guid sessionId, DateTime now, DateTime newExpiry, CancellationToken ct)
    {
        var license = await licenses.GetAsync(keyHash, now, () => database.FindLicenseAsync(keyHash, ct));
        if (LedgerRules.LeaseRefusal(license, now) is { } refusal)
        {
            return new LeaseResult(refusal, license, null, null);
        }

        try
        {
            var answer = await HeartbeatInRedisAsync(license!, sessionId, now, newExpiry, ct);
            if (answer.StartsWith('='))
            {
                writeBehind.Enqueue(sessionId, newExpiry, now);
                return new LeaseResult(LeaseOutcome.Ok, license, answer[1..], newExpiry);
            }
        }
        catch (Exception e) when (e is RedisException or RedisTimeoutException or RedisConnectionException)
        {
            stats.FellBack();
            logger.LogWarning("Redis unavailable, heartbeat served by PostgreSQL: {Error}", e.Message);
            return await database.HeartbeatAsync(keyHash, sessionId, now, newExpiry, ct);
        }

        // Not a live lease in Redis: PostgreSQL knows exactly why, or knows it is live after all (then cache it again).
        var result = await database.HeartbeatAsync(keyHash, sessionId, now, newExpiry, ct);
        if (result.Outcome == LeaseOutcome.Ok)
        {
            stats.RepairedBy(1);
            await TryRedisAsync(() => Redis.ScriptEvaluateAsync(RedisScripts.Add, Keys(license!.Id),
                [sessionId.ToString("N"), Millis(newExpiry), result.HardwareId]));
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

    /// <summary>Flushes heartbeats, sweeps in PostgreSQL, then reconciles: drops from Redis every lease PostgreSQL ended lately.</summary>
    public async Task<int> SweepAsync(DateTime now, CancellationToken ct)
    {
        await writeBehind.FlushAsync(ct);
        var swept = await database.SweepAsync(now, ct);
        var ended = await database.RecentlyEndedAsync(now - ReconcileWindow, ct);
        foreach (var group in ended.GroupBy(e => e.LicenseId))
        {
            var removed = await TryRedisAsync(() => Redis.ScriptEvaluateAsync(RedisScripts.Remove, Keys(group.Key),
                [.. group.Select(e => (RedisValue)e.SessionId.ToString("N"))]));
            stats.RepairedBy(removed is null ? 0 : (long)removed);
        }

        return swept;
    }

    /// <summary>How far back reconciliation looks: wide enough that a failed pass is covered by the next ones.</summary>
    public static readonly TimeSpan ReconcileWindow = TimeSpan.FromMinutes(10);

    public async Task ForgetAsync(Guid licenseId, IReadOnlyCollection<Guid> sessionIds, CancellationToken ct) =>
        await TryRedisAsync(() => Redis.ScriptEvaluateAsync(RedisScripts.Remove, Keys(licenseId),
            [.. sessionIds.Select(id => (RedisValue)id.ToString("N"))]));

    private async Task<string> HeartbeatInRedisAsync(LicenseSnapshot license, Guid sessionId, DateTime now, DateTime newExpiry, CancellationToken ct)
    {
        RedisValue[] args = [sessionId.ToString("N"), Millis(now), Millis(newExpiry)];
        var answer = (string?)await Redis.ScriptEvaluateAsync(RedisScripts.Heartbeat, Keys(license.Id), args) ?? "!miss";
        if (answer == "!rebuild")
        {
            await RebuildAsync(license.Id, now, ct);
            answer = (string?)await Redis.ScriptEvaluateAsync(RedisScripts.Heartbeat, Keys(license.Id), args) ?? "!miss";
        }

        return answer;
    }

    /// <summary>Redis has no cache for this licence (first use, or Redis lost its data): load it from PostgreSQL.</summary>
    private async Task RebuildAsync(Guid licenseId, DateTime now, CancellationToken ct)
    {
        await writeBehind.FlushAsync(ct);
        var live = await database.LiveSessionsAsync(licenseId, now, ct);
        var args = live.SelectMany(s => new RedisValue[] { s.SessionId.ToString("N"), Millis(s.ExpiresAt), s.HardwareId }).ToArray();
        var loaded = await Redis.ScriptEvaluateAsync(RedisScripts.Rebuild, Keys(licenseId), args);
        if ((long)loaded == 1)
        {
            stats.Rebuilt();
            logger.LogInformation("Loaded the Redis lease cache of licence {LicenseId} from PostgreSQL ({Count} live lease(s))", licenseId, live.Count);
        }
    }

    private async Task<RedisResult?> TryRedisAsync(Func<Task<RedisResult>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is RedisException or RedisTimeoutException or RedisConnectionException)
        {
            // PostgreSQL already holds the truth; the heartbeat fallback and the next reconciliation repair Redis.
            stats.FellBack();
            logger.LogWarning("Redis update skipped, PostgreSQL stays authoritative: {Error}", e.Message);
            return null;
        }
    }

    private static RedisKey[] Keys(Guid licenseId) =>
        [RedisScripts.Leases(licenseId), RedisScripts.Hardware(licenseId), RedisScripts.Ready(licenseId)];

    private static long Millis(DateTime time) => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)).ToUnixTimeMilliseconds();
}

/// <summary>
/// Creates the Redis ledger (connect, subscribe) before the node takes requests. The Redis client connects and subscribes
/// synchronously; left to the first requests, a burst of them queued on that singleton's construction and starved the
/// thread pool: a fresh node answered nothing, not even /health, for 20 s and more.
/// </summary>
public sealed class RedisLedgerStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<RedisSeatLedger>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

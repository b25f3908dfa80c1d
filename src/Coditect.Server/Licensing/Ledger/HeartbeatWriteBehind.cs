using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Coditect.Server.Licensing.Ledger;

/// <summary>
/// Heartbeats served from Redis reach PostgreSQL in batches, one statement per flush
/// (<c>Licensing:HeartbeatFlushMilliseconds</c>). PostgreSQL's lease expiry therefore trails Redis by about one flush,
/// a second against a lease of minutes. A failed flush keeps its heartbeats for the next one; acquires and the sweeper
/// flush first whenever anything has waited too long, so PostgreSQL never counts a live lease as lapsed.
/// </summary>
public sealed class HeartbeatWriteBehind(
    PostgresSeatLedger database,
    IConnectionMultiplexer redis,
    IOptions<LicensingOptions> options,
    TimeProvider clock,
    ILogger<HeartbeatWriteBehind> logger) : IDisposable
{
    private readonly Platform.LogThrottle _confirmLines = new(TimeSpan.FromSeconds(10));

    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private Dictionary<Guid, Pending> _pending = [];

    // The licences of the heartbeats in _pending, and of the batch a flush is writing: what PostgreSQL may lack.
    private HashSet<Guid> _pendingLicenses = [];
    private HashSet<Guid> _flushingLicenses = [];

    // When the oldest heartbeat in _pending was queued (set when _pending turns non-empty): an acquire checks it without
    // scanning thousands of pending heartbeats under the lock every heartbeat needs.
    private DateTime? _oldestQueuedAt;

    /// <summary>How old the oldest unflushed heartbeat may get before an acquire waits for a flush.</summary>
    public static readonly TimeSpan MaxLag = TimeSpan.FromSeconds(5);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    public void Enqueue(Guid sessionId, Guid licenseId, DateTime expiresAt, DateTime at)
    {
        var queuedAt = clock.GetUtcNow().UtcDateTime;
        var heartbeat = new Pending(licenseId, expiresAt, at, at, 1, queuedAt);
        lock (_gate)
        {
            _pending[sessionId] = _pending.TryGetValue(sessionId, out var earlier) ? earlier.Merge(heartbeat) : heartbeat;
            _pendingLicenses.Add(licenseId);
            _oldestQueuedAt ??= queuedAt;
        }
    }

    /// <summary>Whether this node holds heartbeats of the licence that PostgreSQL may not have committed yet.</summary>
    public bool HasUnflushed(Guid licenseId)
    {
        lock (_gate)
        {
            return _pendingLicenses.Contains(licenseId) || _flushingLicenses.Contains(licenseId);
        }
    }

    /// <summary>Flushes now if the oldest waiting heartbeat is older than <see cref="MaxLag"/>.</summary>
    public async Task EnsureFreshAsync(CancellationToken ct)
    {
        DateTime? oldest;
        lock (_gate)
        {
            oldest = _oldestQueuedAt;
        }

        if (oldest is { } queuedAt && clock.GetUtcNow().UtcDateTime - queuedAt > MaxLag)
        {
            await FlushAsync(ct);
        }
    }

    public async Task FlushAsync(CancellationToken ct)
    {
        await _flushing.WaitAsync(ct);
        try
        {
            Dictionary<Guid, Pending> batch;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    return;
                }

                batch = _pending;
                _pending = [];
                (_flushingLicenses, _pendingLicenses) = (_pendingLicenses, []);
                _oldestQueuedAt = null;
            }

            var committed = new List<(Guid SessionId, Guid LicenseId, DateTime ExpiresAt)>();
            try
            {
                foreach (var chunk in batch.Chunk(5000))
                {
                    committed.AddRange(await database.FlushHeartbeatsAsync(
                        [.. chunk.Select(p => new PendingHeartbeat(p.Key, p.Value.ExpiresAt, p.Value.FirstAt, p.Value.At, p.Value.Count))],
                        clock.GetUtcNow().UtcDateTime, ct));
                }
            }
            catch
            {
                lock (_gate)
                {
                    foreach (var (id, pending) in batch)
                    {
                        _pending[id] = _pending.TryGetValue(id, out var newer) ? pending.Merge(newer) : pending;
                        _pendingLicenses.Add(pending.LicenseId);
                        _oldestQueuedAt = _oldestQueuedAt is { } o && o < pending.QueuedAt ? o : pending.QueuedAt;
                    }

                    _flushingLicenses = [];
                }

                throw;
            }

            lock (_gate)
            {
                _flushingLicenses = [];
            }

            await ConfirmAsync(committed);
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>
    /// Tells Redis how far PostgreSQL now vouches for each flushed lease; failure only means more heartbeats go to
    /// PostgreSQL. Licences are grouped by hash slot (one group on a single Redis; on Redis Cluster, the licences whose
    /// keys share a slot), up to <see cref="ConfirmLicensesPerCall"/> per script call, and all calls are sent at once:
    /// a flush touching thousands of cold licences costs a few calls, not one per licence queued ahead of heartbeats.
    /// </summary>
    internal async Task ConfirmAsync(IReadOnlyCollection<(Guid SessionId, Guid LicenseId, DateTime ExpiresAt)> committed)
    {
        try
        {
            var database = redis.GetDatabase();
            var cluster = redis.GetEndPoints().Any(endpoint => redis.GetServer(endpoint).ServerType == ServerType.Cluster);
            var calls = committed
                .GroupBy(c => c.LicenseId)
                .GroupBy(licence => cluster ? redis.HashSlot(RedisScripts.Leases(licence.Key)) : 0)
                .SelectMany(slot => slot.Chunk(ConfirmLicensesPerCall))
                .Select(licences => database.ScriptEvaluateAsync(RedisScripts.Confirm,
                    [.. licences.SelectMany(l => new RedisKey[] { RedisScripts.Leases(l.Key), RedisScripts.Confirmed(l.Key) })],
                    [.. licences.SelectMany(l => l.SelectMany(c => new RedisValue[] { c.SessionId.ToString("N"), RedisSeatLedger.Millis(c.ExpiresAt) })
                        .Prepend(l.Count()))]));
            await Task.WhenAll(calls);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            if (_confirmLines.Count(out var count))
            {
                logger.LogWarning("Could not confirm flushed heartbeats in Redis ({Count} since the last such line): {Error}", count, e.Message);
            }
        }
    }

    /// <summary>Licences per confirmation call: each call is short, so heartbeats are not held up behind it.</summary>
    private const int ConfirmLicensesPerCall = 200;

    public void Dispose() => _flushing.Dispose();

    public TimeSpan Interval => TimeSpan.FromMilliseconds(options.Value.HeartbeatFlushMilliseconds);

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    /// <summary>
    /// Heartbeats of one session since the last flush. Redis only extends a live lease, so they form an unbroken chain
    /// from <see cref="FirstAt"/>: PostgreSQL may take the chain's expiry if its own had not passed at FirstAt.
    /// </summary>
    private readonly record struct Pending(Guid LicenseId, DateTime ExpiresAt, DateTime FirstAt, DateTime At, int Count, DateTime QueuedAt)
    {
        public Pending Merge(Pending other) => new(
            LicenseId,
            Max(ExpiresAt, other.ExpiresAt),
            FirstAt < other.FirstAt ? FirstAt : other.FirstAt,
            Max(At, other.At),
            Count + other.Count,
            QueuedAt < other.QueuedAt ? QueuedAt : other.QueuedAt);
    }
}

/// <summary>Runs the write-behind flush on its interval, and once more at shutdown.</summary>
public sealed class HeartbeatFlusher(HeartbeatWriteBehind writeBehind, ILogger<HeartbeatFlusher> logger) : BackgroundService
{
    private readonly Platform.LogThrottle _flushLines = new(TimeSpan.FromSeconds(10));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(writeBehind.Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }

        await FlushAsync(CancellationToken.None);
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        try
        {
            await writeBehind.FlushAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (_flushLines.Count(out var failures))
            {
                logger.LogWarning("Heartbeat flush to PostgreSQL failed ({Failures} since the last such line), {Count} heartbeat(s) kept for the next try: {Error}",
                    failures, writeBehind.Count, e.GetBaseException().Message);
            }
        }
    }
}

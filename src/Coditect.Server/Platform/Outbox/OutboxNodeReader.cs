using Coditect.Server.Data;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Platform.Outbox;

/// <summary>
/// Every node reads the events other nodes committed, from its own position (the cluster-wide <c>id</c>), when
/// signalled and at least once a second, and delivers them to its <see cref="Delivery.EveryNode"/> subscribers. A node
/// starts at the newest event: what it caches starts empty, so older events concern it not.
/// <para>
/// Ids are given out when a transaction inserts, not when it commits, so a row with a lower id can appear after a
/// higher one was read. Each skipped id is kept as a gap and looked for again until it appears or is a minute old (its
/// transaction rolled back).
/// </para>
/// </summary>
public sealed class OutboxNodeReader(
    IServiceScopeFactory scopes,
    OutboxNode node,
    OutboxSignal signal,
    IOptions<OutboxOptions> options,
    TimeProvider clock,
    ILogger<OutboxNodeReader> logger) : BackgroundService
{
    private static readonly TimeSpan GapLifetime = TimeSpan.FromMinutes(1);
    private const int Batch = 500;
    private const int MaxGap = 10_000;

    private readonly Dictionary<long, DateTime> _gaps = [];
    private readonly LogThrottle _failures = new(TimeSpan.FromSeconds(10));
    private long? _position;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await ReadOnceAsync(stoppingToken))
                {
                    // a full batch: read on at once
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                if (_failures.Count(out var count))
                {
                    logger.LogWarning("Could not read new events ({Count} failures since the last such line): {Error}", count, e.GetBaseException().Message);
                }
            }

            await signal.ReaderWaitAsync(options.Value.Poll, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>One pass; true when a full batch came back and more may be waiting.</summary>
    internal async Task<bool> ReadOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var tenancy = scope.ServiceProvider.GetRequiredService<TenantScope>();
        await tenancy.BeginAsync(ct);
        var rows = await db.RunAsSystemAsync(async () =>
        {
            _position ??= await db.Set<OutboxEvent>().IgnoreQueryFilters().MaxAsync(e => (long?)e.Id, ct) ?? 0;
            var position = _position.Value;
            var gaps = _gaps.Keys.ToList();
            return await db.Set<OutboxEvent>().IgnoreQueryFilters().AsNoTracking()
                .Where(e => e.Id > position || gaps.Contains(e.Id))
                .OrderBy(e => e.Id).Take(Batch).ToListAsync(ct);
        }, ct);
        await tenancy.CommitAsync(ct);

        var now = clock.GetUtcNow().UtcDateTime;
        var seen = _position!.Value;
        foreach (var row in rows)
        {
            _gaps.Remove(row.Id);
            if (row.Id > seen)
            {
                // A jump wider than any burst of concurrent inserts is not a set of transactions in flight.
                for (var skipped = seen + 1; skipped < row.Id && row.Id - seen <= MaxGap; skipped++)
                {
                    _gaps.TryAdd(skipped, now);
                }

                seen = row.Id;
            }

            var message = OutboxMessage.From(row);
            if (!await node.DeliverOnceAsync(message, ct))
            {
                // Keep it for the next pass, like a gap, but only as long as gaps are kept.
                _gaps.TryAdd(row.Id, now);
            }
        }

        _position = seen;
        foreach (var (id, since) in _gaps.Where(g => now - g.Value > GapLifetime).ToList())
        {
            _gaps.Remove(id);
        }

        node.Passed(seen);
        return rows.Count == Batch;
    }
}

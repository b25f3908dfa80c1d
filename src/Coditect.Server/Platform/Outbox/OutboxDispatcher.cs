using Coditect.Server.Data;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Platform.Outbox;

/// <summary>
/// Delivers events to the <see cref="Delivery.OncePerCluster"/> subscribers, at least once and in commit order per
/// organization, safe with any number of nodes. A pass claims one organization with pending events (PostgreSQL:
/// <c>FOR UPDATE SKIP LOCKED</c> on its <c>outbox_sequences</c> row, so two nodes never hold the same organization,
/// and a transaction still raising there keeps it locked, so no number is skipped; SQLite: the file's single writer),
/// runs the handlers on its events in order inside the same transaction, and moves the organization's position in it.
/// A crash before commit leaves the position where it was: the next claim delivers again. A failing handler stops its
/// organization (later events wait, to keep the order) and is retried with backoff.
/// </summary>
public sealed class OutboxDispatcher(
    IServiceScopeFactory scopes,
    IEnumerable<OutboxSubscription> subscriptions,
    OutboxSignal signal,
    IOptions<OutboxOptions> options,
    TimeProvider clock,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private const int Batch = 100;
    private readonly OutboxSubscription[] _subscriptions = [.. subscriptions.Where(s => s.Delivery == Delivery.OncePerCluster)];
    private readonly LogThrottle _failures = new(TimeSpan.FromSeconds(10));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Dispatch)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await DispatchOnceAsync(stoppingToken))
                {
                    // another organization may be waiting
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                if (_failures.Count(out var count))
                {
                    logger.LogWarning("Event dispatch failed ({Count} failures since the last such line): {Error}", count, e.GetBaseException().Message);
                }
            }

            await signal.DispatcherWaitAsync(options.Value.Poll, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Claims one organization and delivers a batch of its events; false when none was waiting.</summary>
    internal async Task<bool> DispatchOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        OutboxMessage? failed = null;
        Exception? failure = null;
        Guid tenantId;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
            var tenancy = scope.ServiceProvider.GetRequiredService<TenantScope>();
            await tenancy.BeginAsync(ct);
            var claimed = await db.RunAsSystemAsync(() => ClaimAsync(db, now, ct), ct);
            if (claimed is not { } sequence)
            {
                return false;
            }

            tenantId = sequence.TenantId;
            // The handlers run as the organization, under its row-level security, as a request would.
            await tenancy.EnterAsync(tenantId, ct);
            var events = await db.Set<OutboxEvent>().AsNoTracking()
                .Where(e => e.Seq > sequence.DispatchedSeq).OrderBy(e => e.Seq).Take(Batch).ToListAsync(ct);
            var delivered = sequence.DispatchedSeq;
            foreach (var message in events.Select(OutboxMessage.From))
            {
                try
                {
                    foreach (var subscription in _subscriptions.Where(s => s.Handles(message.Type)))
                    {
                        await subscription.HandleAsync(message, scope.ServiceProvider, ct);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    (failed, failure) = (message, e);
                    break;
                }

                delivered = message.Seq;
            }

            if (failed is null && db.ChangeTracker.HasChanges())
            {
                // What handlers left unsaved, for the whole batch at once; a failure here is the batch's first event's
                // and rolls the batch back (no savepoint to return to: the transaction is not used after it).
                try
                {
                    db.Database.AutoSavepointsEnabled = false;
                    await db.SaveChangesAsync(ct);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    (failed, failure) = (OutboxMessage.From(events[0]), e);
                }
            }

            if (failed is null)
            {
                await db.Set<OutboxSequence>().Where(s => s.TenantId == tenantId).ExecuteUpdateAsync(s => s
                    .SetProperty(x => x.DispatchedSeq, delivered)
                    .SetProperty(x => x.Attempts, 0)
                    .SetProperty(x => x.RetryAt, (DateTime?)null)
                    .SetProperty(x => x.LastError, (string?)null), ct);
                await tenancy.CommitAsync(ct);
                return true;
            }
        }

        // The failed batch rolled back whole (handlers' work included); only the failure is recorded.
        await RecordFailureAsync(tenantId, failed, failure!, now, ct);
        return true;
    }

    private static async Task<OutboxSequence?> ClaimAsync(CoditectDbContext db, DateTime now, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
        {
            return (await db.Set<OutboxSequence>().FromSql($"""
                SELECT * FROM outbox_sequences
                WHERE dispatched_seq < next_seq AND (retry_at IS NULL OR retry_at <= {now})
                LIMIT 1 FOR UPDATE SKIP LOCKED
                """).IgnoreQueryFilters().AsNoTracking().ToListAsync(ct)).SingleOrDefault();
        }

        return await db.Set<OutboxSequence>().IgnoreQueryFilters().AsNoTracking()
            .Where(s => s.DispatchedSeq < s.NextSeq && (s.RetryAt == null || s.RetryAt <= now))
            .FirstOrDefaultAsync(ct);
    }

    /// <summary>Backoff: 1 s doubling up to 5 minutes; the organization's later events wait behind the failed one.</summary>
    private async Task RecordFailureAsync(Guid tenantId, OutboxMessage message, Exception failure, DateTime now, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var tenancy = scope.ServiceProvider.GetRequiredService<TenantScope>();
        await tenancy.EnterAsync(tenantId, ct);
        var attempts = await db.Set<OutboxSequence>().Where(s => s.TenantId == tenantId).Select(s => s.Attempts).SingleAsync(ct) + 1;
        var delay = TimeSpan.FromSeconds(Math.Min(300, Math.Pow(2, Math.Min(attempts - 1, 9))));
        var error = $"{message.Type} #{message.Seq}: {failure.GetBaseException().Message}";
        error = error.Length > 1000 ? error[..1000] : error;
        await db.Set<OutboxSequence>().Where(s => s.TenantId == tenantId).ExecuteUpdateAsync(s => s
            .SetProperty(x => x.Attempts, attempts)
            .SetProperty(x => x.RetryAt, now + delay)
            .SetProperty(x => x.LastError, error), ct);
        await tenancy.CommitAsync(ct);
        if (_failures.Count(out var count))
        {
            logger.LogWarning("Event {Type} #{Seq} of organization {TenantId} failed (attempt {Attempts}, retried in {Delay}; {Count} failures since the last such line): {Error}",
                message.Type, message.Seq, tenantId, attempts, delay, count, failure.GetBaseException().Message);
        }
    }
}

using System.Collections.Concurrent;
using System.Data.Common;
using Coditect.Server.Data;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Platform.Outbox;

/// <summary>
/// This node's side of <see cref="Delivery.EveryNode"/>: the committing node delivers its own events before its answer
/// leaves (so a kick or a suspension holds on the very next call), then signals; <see cref="OutboxNodeReader"/>
/// delivers everyone else's, and retries what failed here.
/// </summary>
public sealed class OutboxNode(
    IEnumerable<OutboxSubscription> subscriptions,
    OutboxSignal signal,
    IServiceScopeFactory scopes,
    IOptions<OutboxOptions> options,
    ILogger<OutboxNode> logger)
{
    private readonly OutboxSubscription[] _subscriptions = [.. subscriptions.Where(s => s.Delivery == Delivery.EveryNode)];
    // One delivery per event on this node, whichever path comes first (the commit or the reader): the other awaits it.
    private readonly ConcurrentDictionary<long, Lazy<Task<bool>>> _deliveries = new();
    private readonly LogThrottle _failures = new(TimeSpan.FromSeconds(10));

    internal async Task CommittedAsync(IReadOnlyList<OutboxMessage> events, CancellationToken ct)
    {
        // A fault-testing knob (0 in production): widens the window between commit and delivery, so a test can kill
        // the node inside it.
        if (options.Value.PauseAfterCommitMilliseconds > 0)
        {
            await Task.Delay(options.Value.PauseAfterCommitMilliseconds, CancellationToken.None);
        }

        foreach (var message in events)
        {
            await DeliverOnceAsync(message, ct);
        }

        await signal.NotifyAsync();
    }

    /// <summary>
    /// Delivers <paramref name="message"/> to this node's every-node subscribers unless it was (or is being) delivered
    /// here already. False when a subscriber failed: it may be tried again.
    /// </summary>
    internal async Task<bool> DeliverOnceAsync(OutboxMessage message, CancellationToken ct)
    {
        var delivery = _deliveries.GetOrAdd(message.Id, _ => new Lazy<Task<bool>>(() => DeliverAsync(message, ct)));
        var ok = await delivery.Value;
        if (!ok)
        {
            _deliveries.TryRemove(new KeyValuePair<long, Lazy<Task<bool>>>(message.Id, delivery));
        }

        return ok;
    }

    /// <summary>The reader is past <paramref name="position"/> for good (gaps included): older deliveries are forgotten.</summary>
    internal void Passed(long position)
    {
        if (_deliveries.Count < 10_000)
        {
            return;
        }

        foreach (var id in _deliveries.Keys.Where(id => id <= position - 1_000))
        {
            _deliveries.TryRemove(id, out _);
        }
    }

    private async Task<bool> DeliverAsync(OutboxMessage message, CancellationToken ct)
    {
        var ok = true;
        foreach (var subscription in _subscriptions.Where(s => s.Handles(message.Type)))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await subscription.HandleAsync(message, scope.ServiceProvider, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                ok = false;
                if (_failures.Count(out var count))
                {
                    logger.LogWarning("Subscriber {Subscriber} failed on event {EventId} ({Type}); retried by the reader ({Count} failures since the last such line): {Error}",
                        subscription.Name, message.Id, message.Type, count, e.GetBaseException().Message);
                }
            }
        }

        return ok;
    }
}

/// <summary>
/// After a transaction commits, hands what it raised to <see cref="OutboxNode"/>. Whatever commits the transaction (the
/// API's unit of work, a page filter, a background job) delivers the same way. A transaction that began or rolled back
/// drops what an earlier one raised and did not commit.
/// </summary>
public sealed class OutboxCommitInterceptor(IServiceProvider services) : DbTransactionInterceptor
{
    public override async Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is CoditectDbContext { RaisedEvents.Count: > 0 } db)
        {
            var raised = db.RaisedEvents.ToArray();
            db.RaisedEvents.Clear();
            await services.GetRequiredService<OutboxNode>().CommittedAsync(raised, CancellationToken.None);
        }
    }

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (eventData.Context is CoditectDbContext { RaisedEvents.Count: > 0 })
        {
            throw new InvalidOperationException("A transaction that raised events is committed with CommitAsync.");
        }
    }

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Drop(eventData.Context);
        return Task.CompletedTask;
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Drop(eventData.Context);

    public override ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
    {
        Drop(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private static void Drop(Microsoft.EntityFrameworkCore.DbContext? context)
    {
        if (context is CoditectDbContext db)
        {
            db.RaisedEvents.Clear();
        }
    }
}

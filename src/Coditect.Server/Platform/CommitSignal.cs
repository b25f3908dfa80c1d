using System.Data.Common;
using System.Runtime.CompilerServices;
using Coditect.Server.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Coditect.Server.Notifications.Webhooks;

/// <summary>
/// "Deliveries are due": a transaction that queued deliveries marks its context (<see cref="AfterCommit"/>); when it
/// commits, this node's sender wakes and the other nodes hear it through <see cref="ClusterSignal"/>. Only a hint:
/// every sender also polls (<c>Webhooks:PollMilliseconds</c>).
/// </summary>
public sealed class WebhookSignal(ClusterSignal cluster) : IHostedService
{
    public const string Channel = "coditect_webhooks";

    private readonly ConditionalWeakTable<DbContext, object> _pending = [];
    private readonly Waker _sender = new();

    /// <summary>Wake the senders once <paramref name="db"/>'s transaction commits (at once when it has none).</summary>
    public void AfterCommit(DbContext db)
    {
        if (db.Database.CurrentTransaction is null)
        {
            _ = WakeAllAsync();
            return;
        }

        _pending.AddOrUpdate(db, this);
    }

    internal Task SenderWaitAsync(TimeSpan timeout, CancellationToken ct) => _sender.WaitAsync(timeout, ct);

    internal async Task CommittedAsync(DbContext? db)
    {
        if (db is not null && _pending.Remove(db))
        {
            await WakeAllAsync();
        }
    }

    internal void Forget(DbContext? db)
    {
        if (db is not null)
        {
            _pending.Remove(db);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        cluster.Subscribe(Channel, _ => _sender.Wake());
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task WakeAllAsync()
    {
        _sender.Wake();
        await cluster.PublishAsync(Channel, "1");
    }
}

/// <summary>Tells <see cref="WebhookSignal"/> when a transaction ends.</summary>
public sealed class WebhookCommitInterceptor(WebhookSignal signal) : DbTransactionInterceptor
{
    public override async Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default) =>
        await signal.CommittedAsync(eventData.Context);

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) =>
        _ = signal.CommittedAsync(eventData.Context);

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        signal.Forget(eventData.Context);
        return Task.CompletedTask;
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => signal.Forget(eventData.Context);
}

using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Coditect.Server.Platform;

/// <summary>
/// "Work is due" for one background sender (webhook deliveries, e-mail): a transaction that queued work marks its
/// context (<see cref="AfterCommit"/>); when it commits, this node's sender wakes and the other nodes hear it through
/// <see cref="ClusterSignal"/> on <see cref="Channel"/>. Only a hint: every sender also polls.
/// </summary>
public abstract class CommitSignal(ClusterSignal cluster) : IHostedService
{
    private readonly ConditionalWeakTable<DbContext, object> _pending = [];
    private readonly Waker _sender = new();

    /// <summary>The cluster channel the wake-up travels on.</summary>
    public abstract string Channel { get; }

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

    /// <summary>The sender's wait: until woken, or <paramref name="timeout"/> (its poll).</summary>
    public Task SenderWaitAsync(TimeSpan timeout, CancellationToken ct) => _sender.WaitAsync(timeout, ct);

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

/// <summary>Tells every <see cref="CommitSignal"/> when a transaction ends.</summary>
public sealed class CommitSignalInterceptor(IEnumerable<CommitSignal> signals) : DbTransactionInterceptor
{
    private readonly CommitSignal[] _signals = [.. signals];

    public override async Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        foreach (var signal in _signals)
        {
            await signal.CommittedAsync(eventData.Context);
        }
    }

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData)
    {
        foreach (var signal in _signals)
        {
            _ = signal.CommittedAsync(eventData.Context);
        }
    }

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionRolledBack(transaction, eventData);
        return Task.CompletedTask;
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData)
    {
        foreach (var signal in _signals)
        {
            signal.Forget(eventData.Context);
        }
    }
}

public static class CommitSignalExtensions
{
    /// <summary>Registers <typeparamref name="TSignal"/> as a singleton, a hosted service and a <see cref="CommitSignal"/> (the interceptor once).</summary>
    public static IServiceCollection AddCommitSignal<TSignal>(this IServiceCollection services) where TSignal : CommitSignal
    {
        services.AddSingleton<TSignal>();
        services.AddSingleton<CommitSignal>(s => s.GetRequiredService<TSignal>());
        services.AddHostedService(s => s.GetRequiredService<TSignal>());
        if (!services.Any(d => d.ImplementationType == typeof(CommitSignalInterceptor)))
        {
            services.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor, CommitSignalInterceptor>();
        }

        return services;
    }
}

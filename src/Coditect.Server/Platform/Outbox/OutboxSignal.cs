namespace Coditect.Server.Platform.Outbox;

/// <summary>
/// "New events committed": wakes this node's dispatcher and reader at once, and the other nodes through
/// <see cref="ClusterSignal"/> (a Redis channel in Redis mode, PostgreSQL's LISTEN/NOTIFY otherwise). Only a hint:
/// every node also polls once a second, so a lost signal costs at most that second.
/// </summary>
public sealed class OutboxSignal(ClusterSignal cluster) : IHostedService
{
    public const string Channel = "coditect_outbox";

    private readonly Waker _dispatcher = new();
    private readonly Waker _reader = new();

    /// <summary>Wakes this node's loops and tells the other nodes (a failure to tell them is logged, never thrown).</summary>
    public async Task NotifyAsync()
    {
        WakeLocal();
        await cluster.PublishAsync(Channel, "1");
    }

    internal void WakeLocal()
    {
        _dispatcher.Wake();
        _reader.Wake();
    }

    internal Task DispatcherWaitAsync(TimeSpan timeout, CancellationToken ct) => _dispatcher.WaitAsync(timeout, ct);

    internal Task ReaderWaitAsync(TimeSpan timeout, CancellationToken ct) => _reader.WaitAsync(timeout, ct);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        cluster.Subscribe(Channel, _ => WakeLocal());
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

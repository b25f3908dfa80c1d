using Npgsql;
using StackExchange.Redis;

namespace Coditect.Server.Platform.Outbox;

/// <summary>
/// "New events committed": wakes this node's dispatcher and reader at once, and the other nodes through Redis (in
/// Redis mode) or PostgreSQL's LISTEN/NOTIFY. Only a hint: every node also polls once a second, so a lost signal
/// costs at most that second.
/// </summary>
public sealed class OutboxSignal(Topology topology, IServiceProvider services, ILogger<OutboxSignal> logger) : IHostedService, IDisposable
{
    public const string Channel = "coditect_outbox";

    private readonly Waker _dispatcher = new();
    private readonly Waker _reader = new();
    private readonly LogThrottle _failures = new(TimeSpan.FromSeconds(10));
    private CancellationTokenSource? _stopping;
    private Task? _listening;

    /// <summary>Wakes this node's loops and tells the other nodes.</summary>
    public async Task NotifyAsync()
    {
        WakeLocal();
        try
        {
            if (topology.UsesRedis)
            {
                await services.GetRequiredService<IConnectionMultiplexer>().GetSubscriber()
                    .PublishAsync(new RedisChannel(Channel, RedisChannel.PatternMode.Literal), "1", CommandFlags.FireAndForget);
            }
            else if (topology.Database == Data.DatabaseProvider.Postgres)
            {
                await using var command = services.GetRequiredService<NpgsqlDataSource>().CreateCommand($"NOTIFY {Channel}");
                await command.ExecuteNonQueryAsync();
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException or NpgsqlException)
        {
            if (_failures.Count(out var count))
            {
                logger.LogWarning("Could not signal other nodes of new events ({Count} since the last such line); they poll within a second: {Error}",
                    count, e.Message);
            }
        }
    }

    internal void WakeLocal()
    {
        _dispatcher.Wake();
        _reader.Wake();
    }

    internal Task DispatcherWaitAsync(TimeSpan timeout, CancellationToken ct) => _dispatcher.WaitAsync(timeout, ct);

    internal Task ReaderWaitAsync(TimeSpan timeout, CancellationToken ct) => _reader.WaitAsync(timeout, ct);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _stopping = new CancellationTokenSource();
        if (topology.UsesRedis)
        {
            try
            {
                await services.GetRequiredService<IConnectionMultiplexer>().GetSubscriber()
                    .SubscribeAsync(new RedisChannel(Channel, RedisChannel.PatternMode.Literal), (_, _) => WakeLocal())
                    .WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // StackExchange.Redis resubscribes when the connection comes back; meanwhile the poll serves.
                logger.LogWarning("Could not subscribe to event signals yet; polling once a second: {Error}", e.Message);
            }
        }
        else if (topology.Database == Data.DatabaseProvider.Postgres)
        {
            _listening = Task.Run(() => ListenAsync(_stopping.Token), CancellationToken.None);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Idempotent: a host may be stopped, and this disposed, more than once.
        if (Interlocked.Exchange(ref _stopping, null) is not { } stopping)
        {
            return;
        }

        await stopping.CancelAsync();
        if (_listening is not null)
        {
            await _listening.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        stopping.Dispose();
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _stopping, null)?.Dispose();
    }

    /// <summary>One connection per node waits for NOTIFY; it reconnects after a failure, with the poll covering the gap.</summary>
    private async Task ListenAsync(CancellationToken ct)
    {
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(ct);
                connection.Notification += (_, _) => WakeLocal();
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(ct);
                }

                while (!ct.IsCancellationRequested)
                {
                    await connection.WaitAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or System.IO.IOException)
            {
                if (_failures.Count(out var count))
                {
                    logger.LogWarning("Event signal listener lost its connection ({Count} since the last such line); polling meanwhile: {Error}",
                        count, e.Message);
                }

                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>An auto-reset wake-up for one waiting loop: a wake while nobody waits is kept for the next wait.</summary>
    private sealed class Waker
    {
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Wake() => Volatile.Read(ref _next).TrySetResult();

        public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
        {
            var current = Volatile.Read(ref _next);
            await current.Task.WaitAsync(timeout, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (current.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), current);
            }

            ct.ThrowIfCancellationRequested();
        }
    }
}

using System.Collections.Concurrent;
using Npgsql;
using StackExchange.Redis;

namespace Coditect.Server.Platform;

/// <summary>
/// Small messages from one node to the others (decisions: the outbox's every-node kind, live views): a Redis channel
/// in Redis mode, PostgreSQL's LISTEN/NOTIFY on PostgreSQL alone, nothing on SQLite, which runs one node. A message is a
/// hint, never the change itself: it may be lost (a node restarting, Redis or PostgreSQL away for a moment), so whoever
/// sends one either has a backstop (the outbox polls every second) or is lossy by design (a live view). A node does not
/// hear its own messages: the sender does its local part itself, and does it even when the others cannot be told.
/// One PostgreSQL connection per node listens for every channel; a payload stays under NOTIFY's 8,000 bytes.
/// </summary>
public sealed class ClusterSignal(Topology topology, IServiceProvider services, ILogger<ClusterSignal> logger) : IHostedService, IDisposable
{
    // Told apart from other nodes' messages by this prefix: channels carry every node's messages, this one's included.
    private readonly string _node = Guid.NewGuid().ToString("N") + ":";
    private readonly ConcurrentDictionary<string, Action<string>> _handlers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LogThrottle> _failures = new(StringComparer.Ordinal);
    private readonly LogThrottle _listenerFailures = new(TimeSpan.FromSeconds(10));
    private CancellationTokenSource? _stopping;
    private CancellationTokenSource? _relisten;
    private Task? _listening;

    /// <summary>
    /// Calls <paramref name="handler"/> with each message other nodes send on <paramref name="channel"/> (a lower-case
    /// identifier; one handler per channel). The handler runs on the transport's thread: it must be quick and not throw.
    /// </summary>
    public void Subscribe(string channel, Action<string> handler)
    {
        if (channel.Length is 0 or > 63 || !channel.All(c => c is (>= 'a' and <= 'z') or '_' or (>= '0' and <= '9')))
        {
            throw new ArgumentException($"'{channel}' is not a channel name (lower-case letters, digits and _).", nameof(channel));
        }

        if (!_handlers.TryAdd(channel, handler))
        {
            throw new InvalidOperationException($"Channel {channel} has a subscriber already.");
        }

        if (topology.UsesRedis)
        {
            _ = SubscribeRedisAsync(channel);
        }
        else if (topology.Database == Data.DatabaseProvider.Postgres)
        {
            CancelQuietly(Volatile.Read(ref _relisten)); // the listener starts over, listening to this channel too
        }
    }

    /// <summary>
    /// Sends <paramref name="payload"/> to the other nodes' subscribers of <paramref name="channel"/>. Never throws for
    /// the transport: a failure is logged (one line per channel per 10 s, with a count) and the message is lost.
    /// </summary>
    public async Task PublishAsync(string channel, string payload)
    {
        try
        {
            if (topology.UsesRedis)
            {
                await services.GetRequiredService<IConnectionMultiplexer>().GetSubscriber()
                    .PublishAsync(new RedisChannel(channel, RedisChannel.PatternMode.Literal), _node + payload, CommandFlags.FireAndForget);
            }
            else if (topology.Database == Data.DatabaseProvider.Postgres)
            {
                await using var command = services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT pg_notify($1, $2)");
                command.Parameters.Add(new NpgsqlParameter { Value = channel });
                command.Parameters.Add(new NpgsqlParameter { Value = _node + payload });
                await command.ExecuteNonQueryAsync();
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException or NpgsqlException or System.IO.IOException)
        {
            if (_failures.GetOrAdd(channel, _ => new LogThrottle(TimeSpan.FromSeconds(10))).Count(out var count))
            {
                logger.LogWarning("Could not signal other nodes on {Channel} ({Count} since the last such line): {Error}", channel, count, e.Message);
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!topology.UsesRedis && topology.Database == Data.DatabaseProvider.Postgres)
        {
            _stopping = new CancellationTokenSource();
            var stopping = _stopping.Token;
            _listening = Task.Run(() => ListenAsync(stopping), CancellationToken.None);
        }

        return Task.CompletedTask;
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

    public void Dispose() => Interlocked.Exchange(ref _stopping, null)?.Dispose();

    private void Deliver(string channel, string message)
    {
        if (message.StartsWith(_node, StringComparison.Ordinal) || !_handlers.TryGetValue(channel, out var handler))
        {
            return;
        }

        // Every message carries its sender's prefix: 32 hex digits and a colon.
        var payload = message.Length > _node.Length && message[_node.Length - 1] == ':' ? message[_node.Length..] : "";
        try
        {
            handler(payload);
        }
        catch (Exception e)
        {
            logger.LogError(e, "The subscriber of {Channel} failed on a message", channel);
        }
    }

    private async Task SubscribeRedisAsync(string channel)
    {
        try
        {
            await services.GetRequiredService<IConnectionMultiplexer>().GetSubscriber()
                .SubscribeAsync(new RedisChannel(channel, RedisChannel.PatternMode.Literal), (_, message) => Deliver(channel, message.ToString()))
                .WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e)
        {
            // StackExchange.Redis keeps the subscription and makes it again when the connection comes back.
            logger.LogWarning("Could not subscribe to {Channel} yet; other nodes' signals are missed until Redis answers: {Error}", channel, e.Message);
        }
    }

    /// <summary>
    /// One connection per node waits for NOTIFY on every subscribed channel. It starts over when a channel is added
    /// (a connection cannot LISTEN while it waits) and after a failure; what is sent meanwhile is missed.
    /// </summary>
    private async Task ListenAsync(CancellationToken stopping)
    {
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        while (!stopping.IsCancellationRequested)
        {
            // Published before the channels are read: a channel added after the read cancels this one.
            var relisten = new CancellationTokenSource();
            Volatile.Write(ref _relisten, relisten);
            var channels = _handlers.Keys.ToArray();
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stopping, relisten.Token);
            try
            {
                if (channels.Length == 0)
                {
                    await Task.Delay(Timeout.Infinite, waiting.Token);
                }

                await using var connection = await dataSource.OpenConnectionAsync(stopping);
                connection.Notification += (_, e) => Deliver(e.Channel, e.Payload);
                foreach (var channel in channels)
                {
                    await using var listen = new NpgsqlCommand($"LISTEN {channel}", connection); // checked by Subscribe
                    await listen.ExecuteNonQueryAsync(stopping);
                }

                while (true)
                {
                    await connection.WaitAsync(waiting.Token);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException) when (relisten.IsCancellationRequested)
            {
                // a channel was added: listen again, to all of them
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or System.IO.IOException)
            {
                if (_listenerFailures.Count(out var count))
                {
                    logger.LogWarning("The signal listener lost its PostgreSQL connection ({Count} since the last such line); reconnecting: {Error}",
                        count, e.Message);
                }

                await Task.Delay(TimeSpan.FromSeconds(1), stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            finally
            {
                relisten.Dispose(); // a channel added from here on is read by the next round
            }
        }
    }

    private static void CancelQuietly(CancellationTokenSource? source)
    {
        try
        {
            source?.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}

public static class ClusterSignalExtensions
{
    /// <summary>Registers the node's <see cref="ClusterSignal"/> once, whichever feature asks first.</summary>
    public static IServiceCollection AddClusterSignal(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(ClusterSignal)))
        {
            return services;
        }

        services.AddSingleton<ClusterSignal>();
        services.AddHostedService(provider => provider.GetRequiredService<ClusterSignal>());
        return services;
    }
}

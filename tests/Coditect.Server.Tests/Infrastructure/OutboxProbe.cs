using System.Collections.Concurrent;
using Coditect.Server.Platform.Outbox;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Infrastructure;

/// <summary>
/// Outbox subscribers of both kinds that record what they are given, in the order they are given it, across every
/// node that shares the probe; the cluster subscriber can be told to fail on chosen events.
/// </summary>
public sealed class OutboxProbe
{
    private long _order;

    public ConcurrentQueue<Delivered> EveryNode { get; } = new();

    public ConcurrentQueue<Delivered> Cluster { get; } = new();

    /// <summary>Types on which the cluster subscriber throws, and how many more times.</summary>
    public ConcurrentDictionary<string, int> FailCluster { get; } = new();

    public void AddTo(IServiceCollection services, string node)
    {
        services.AddOutboxSubscription("test.every-node", Delivery.EveryNode, _ => true, (message, _, _) =>
        {
            EveryNode.Enqueue(new Delivered(node, Interlocked.Increment(ref _order), message));
            return Task.CompletedTask;
        });
        services.AddOutboxSubscription("test.cluster", Delivery.OncePerCluster, _ => true, (message, _, _) =>
        {
            if (FailCluster.TryGetValue(message.Type, out var left) && left > 0 && FailCluster.TryUpdate(message.Type, left - 1, left))
            {
                throw new InvalidOperationException($"the probe fails {message.Type} on purpose");
            }

            Cluster.Enqueue(new Delivered(node, Interlocked.Increment(ref _order), message));
            return Task.CompletedTask;
        });
    }

    public sealed record Delivered(string Node, long Order, OutboxMessage Message);
}

/// <summary>A server whose outbox subscribers are an <see cref="OutboxProbe"/>.</summary>
public abstract class ProbedApp : CoditectApp
{
    public OutboxProbe Probe { get; } = new();

    protected override void ConfigureTestServices(IServiceCollection services) => Probe.AddTo(services, "a");
}

public sealed class ProbedSqliteApp : ProbedApp
{
    public override Coditect.Server.Data.DatabaseProvider Provider => Coditect.Server.Data.DatabaseProvider.Sqlite;
}

public sealed class ProbedPostgresApp : ProbedApp
{
    public override Coditect.Server.Data.DatabaseProvider Provider => Coditect.Server.Data.DatabaseProvider.Postgres;
}

public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="within"/> passes; fails with <paramref name="what"/>.</summary>
    public static async Task ShouldHoldAsync(Func<Task<bool>> condition, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new ShouldAssertException($"{what}: not within {within.TotalSeconds:0.#} s");
            }

            await Task.Delay(50);
        }
    }

    public static Task ShouldHoldAsync(Func<bool> condition, TimeSpan within, string what) =>
        ShouldHoldAsync(() => Task.FromResult(condition()), within, what);
}

using System.Diagnostics.Metrics;
using Coditect.Server.Platform.Telemetry;
using StackExchange.Redis;

namespace Coditect.Server.Platform;

public static class Redis
{
    /// <summary>
    /// The one Redis connection of the node, when <c>ConnectionStrings:Redis</c> is set: shared by the seat ledger, the
    /// rate counters and the outbox signal. The server starts without Redis answering; PostgreSQL serves until it does.
    /// </summary>
    public static WebApplicationBuilder AddRedis(this WebApplicationBuilder builder)
    {
        var topology = Topology.Of(builder);
        if (topology.UsesRedis)
        {
            var configuration = ConfigurationOptions.Parse(topology.RedisConnectionString!);
            configuration.AbortOnConnectFail = false; // start without Redis; PostgreSQL serves until it is back
            configuration.BacklogPolicy = BacklogPolicy.FailFast; // and at once: 2.x+ would queue calls up to the timeout
            builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(configuration));
            builder.Services.AddMetricsSource<RedisMetrics>();
        }

        return builder;
    }
}

/// <summary>
/// <c>coditect.redis.connected</c> (<c>coditect_redis_connected</c>): 1 while this node's Redis connection is up, 0 while
/// PostgreSQL serves alone. Read from the multiplexer's own state (no PING per scrape). Redis mode only.
/// </summary>
public sealed class RedisMetrics
{
    public RedisMetrics(IMeterFactory meters, IConnectionMultiplexer redis) =>
        meters.Create(TelemetryExtensions.PlatformMeter).CreateObservableGauge("coditect.redis.connected", () => redis.IsConnected ? 1 : 0, null,
            "1 while this node's Redis connection is up");
}

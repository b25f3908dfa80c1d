using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Coditect.Server.Licensing;

/// <summary>
/// Redis answers, and what the ledger repaired so far. Redis down is Degraded, not Unhealthy: PostgreSQL serves every
/// call meanwhile, so the node stays in rotation.
/// </summary>
public sealed class RedisLedgerHealthCheck(IConnectionMultiplexer redis, RedisLedgerStats stats, HeartbeatWriteBehind writeBehind) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["rebuilds"] = stats.Rebuilds,
            ["repaired"] = stats.Repaired,
            ["fallbacks"] = stats.Fallbacks,
            ["pending_heartbeats"] = writeBehind.Count,
        };
        try
        {
            var latency = await redis.GetDatabase().PingAsync();
            return HealthCheckResult.Healthy($"redis answers in {latency.TotalMilliseconds:F1} ms", data);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return HealthCheckResult.Degraded("redis unreachable: heartbeats served by PostgreSQL", data: data);
        }
    }
}

/// <summary>
/// Connects to Redis before the server takes traffic, so the first requests do not queue behind the connection. A
/// Redis that does not answer delays the start by at most a few seconds: PostgreSQL serves meanwhile.
/// </summary>
public sealed class RedisWarmUp(IConnectionMultiplexer redis, RedisSeatLedger ledger, ILogger<RedisWarmUp> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var latency = await redis.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            await ledger.SubscribeAsync().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            logger.LogInformation("Redis answers in {Milliseconds:F1} ms: heartbeats are served from Redis", latency.TotalMilliseconds);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning("Redis does not answer yet; PostgreSQL serves every call until it does: {Error}", e.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

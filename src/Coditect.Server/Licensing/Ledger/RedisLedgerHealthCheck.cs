using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Coditect.Server.Licensing.Ledger;

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

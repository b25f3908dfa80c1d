using StackExchange.Redis;

namespace Coditect.Server.Licensing.Ledger;

/// <summary>
/// Connects to Redis before the server takes traffic, so the first requests do not queue behind the connection. A
/// Redis that does not answer delays the start by at most a few seconds: PostgreSQL serves meanwhile.
/// </summary>
public sealed class RedisWarmUp(IConnectionMultiplexer redis, ILogger<RedisWarmUp> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var latency = await redis.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            logger.LogInformation("Redis answers in {Milliseconds:F1} ms: heartbeats are served from Redis", latency.TotalMilliseconds);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning("Redis does not answer yet; PostgreSQL serves every call until it does: {Error}", e.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

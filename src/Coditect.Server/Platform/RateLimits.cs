using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Coditect.Contracts.Common;
using Coditect.Server.Tenancy;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Coditect.Server.Platform;

/// <summary><c>RateLimits:*</c> settings: fixed one-minute windows.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Sign-up, login, refresh and logout per client address.</summary>
    [Range(1, 1_000_000)]
    public int SignInPerMinute { get; set; } = 20;

    /// <summary>Authenticated API calls per user or API key.</summary>
    [Range(1, 10_000_000)]
    public int ApiPerMinute { get; set; } = 1200;
}

/// <summary>The answer of a rate counter: whether the call may go on, and when the window resets.</summary>
public readonly record struct RateDecision(bool Allowed, TimeSpan RetryAfter);

/// <summary>Counts calls per key in one-minute windows that start with the key's first call.</summary>
public interface IRateCounter
{
    ValueTask<RateDecision> HitAsync(string key, int limit, CancellationToken ct);
}

/// <summary>In-memory windows: each node counts alone (one node, or no Redis).</summary>
public sealed class MemoryRateCounter(TimeProvider clock) : IRateCounter
{
    private readonly ConcurrentDictionary<string, (DateTimeOffset Start, int Count)> _windows = new(StringComparer.Ordinal);
    private long _lastSweepTicks;

    /// <summary>Windows held, ended ones included until the next sweep.</summary>
    internal int WindowCount => _windows.Count;

    public ValueTask<RateDecision> HitAsync(string key, int limit, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var decision = Hit(key, limit, now);
        SweepIfDue(now);
        return ValueTask.FromResult(decision);
    }

    private RateDecision Hit(string key, int limit, DateTimeOffset now)
    {
        var entry = _windows.AddOrUpdate(key, _ => (now, 1), (_, old) => Ended(old.Start, now) ? (now, 1) : (old.Start, old.Count + 1));
        return new RateDecision(entry.Count <= limit, entry.Start + RateLimits.Window - now);
    }

    /// <summary>
    /// Drops the windows that have ended, at most once a window: with hundreds of thousands of sessions a scan on every
    /// call would cost more than the calls. Memory stays bounded by the keys seen in the last two windows.
    /// </summary>
    private void SweepIfDue(DateTimeOffset now)
    {
        var last = Interlocked.Read(ref _lastSweepTicks);
        if (!Ended(new DateTimeOffset(last, TimeSpan.Zero), now)
            || Interlocked.CompareExchange(ref _lastSweepTicks, now.UtcTicks, last) != last)
        {
            return; // not due, or another call is sweeping
        }

        foreach (var window in _windows)
        {
            if (Ended(window.Value.Start, now))
            {
                _windows.TryRemove(window); // only if unchanged: a call may have started a new window meanwhile
            }
        }
    }

    /// <summary>A window that started in the future (the clock went back) counts as ended too.</summary>
    private static bool Ended(DateTimeOffset start, DateTimeOffset now) => now - start >= RateLimits.Window || now < start;
}

/// <summary>
/// Windows in Redis, shared by every node: N nodes allow the limit once, not N times. If Redis does not answer, the
/// node falls back to counting alone rather than refusing every call.
/// </summary>
public sealed class RedisRateCounter(IConnectionMultiplexer redis, MemoryRateCounter fallback, ILogger<RedisRateCounter> logger) : IRateCounter
{
    // Returns the count in the window and the milliseconds left of it; the window starts with the key's first call.
    private const string Script = """
        local count = redis.call('INCR', KEYS[1])
        if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        return {count, redis.call('PTTL', KEYS[1])}
        """;

    public async ValueTask<RateDecision> HitAsync(string key, int limit, CancellationToken ct)
    {
        try
        {
            var answer = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Script,
                [$"cdx:rl:{{{key}}}"], [(long)RateLimits.Window.TotalMilliseconds]))!;
            return new RateDecision((long)answer[0] <= limit, TimeSpan.FromMilliseconds(Math.Max(0, (long)answer[1])));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning("Redis unavailable for rate limits, counting on this node alone: {Error}", e.Message);
            return await fallback.HitAsync(key, limit, ct);
        }
    }
}

/// <summary>
/// Sign-in calls are limited per client address; authenticated calls per user or API key. Over the limit: 429
/// <c>RATE_LIMITED</c> with <c>Retry-After</c>. With <c>ConnectionStrings:Redis</c> the counts are shared by all nodes.
/// </summary>
public static class RateLimits
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    public static WebApplicationBuilder AddRateLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<MemoryRateCounter>();
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Redis")))
        {
            builder.Services.AddSingleton<IRateCounter>(services => services.GetRequiredService<MemoryRateCounter>());
        }
        else
        {
            builder.Services.AddSingleton<IRateCounter, RedisRateCounter>();
        }

        return builder;
    }

    /// <summary>The per-user/per-key limit, after authentication.</summary>
    public static IApplicationBuilder UseApiRateLimit(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var tenant = http.RequestServices.GetRequiredService<TenantContext>();
        var caller = tenant.ApiKeyId is { } key ? "key:" + key : tenant.UserId is { } user ? "user:" + user : null;
        if (caller is not null)
        {
            var limits = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
            var decision = await http.RequestServices.GetRequiredService<IRateCounter>().HitAsync(caller, limits.ApiPerMinute, http.RequestAborted);
            if (!decision.Allowed)
            {
                await Rejected(http, decision.RetryAfter).ExecuteAsync(http);
                return;
            }
        }

        await next(http);
    });

    /// <summary>The per-address limit on sign-up, login, refresh and logout.</summary>
    public static RouteGroupBuilder RequireSignInRateLimit(this RouteGroupBuilder group) => group.AddEndpointFilter(async (context, next) =>
    {
        var http = context.HttpContext;
        var limits = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        var address = "ip:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        var decision = await http.RequestServices.GetRequiredService<IRateCounter>().HitAsync(address, limits.SignInPerMinute, http.RequestAborted);
        return decision.Allowed ? await next(context) : Rejected(http, decision.RetryAfter);
    });

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Rejected(HttpContext http, TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Problems.Of(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited, "Too many requests.",
            $"Retry after {seconds} seconds.", new Dictionary<string, object?> { ["retry_after_seconds"] = seconds });
    }
}

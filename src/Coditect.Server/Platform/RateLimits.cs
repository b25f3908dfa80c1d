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

    /// <summary>
    /// Lease protocol calls per licence key, all its machines together. A 10,000-seat licence heartbeating every two
    /// minutes makes 5,000 a minute; the default leaves room for acquires, releases and retries.
    /// </summary>
    [Range(1, 100_000_000)]
    public int LicensePerMinute { get; set; } = 60_000;

    /// <summary>
    /// Lease protocol calls per session (heartbeat, release) or per machine (acquire, validate) within a licence. A
    /// healthy client heartbeats once every two minutes; retries with back-off stay far under.
    /// </summary>
    [Range(1, 1_000_000)]
    public int SessionPerMinute { get; set; } = 120;
}

/// <summary>The answer of a rate counter: whether the call may go on, and when the window resets.</summary>
public readonly record struct RateDecision(bool Allowed, TimeSpan RetryAfter);

/// <summary>Counts calls per key in one-minute windows that start with the key's first call.</summary>
public interface IRateCounter
{
    ValueTask<RateDecision> HitAsync(string key, int limit, CancellationToken ct);

    /// <summary>
    /// Counts one call against <paramref name="member"/> of <paramref name="key"/> and, only if the member is within
    /// its limit, against <paramref name="key"/> itself (the same window <see cref="HitAsync"/> counts): a member over
    /// its own limit does not spend the budget all members share. Refused when either is over its limit.
    /// </summary>
    ValueTask<RateDecision> HitPairAsync(string key, int limit, string member, int memberLimit, CancellationToken ct);
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

    public ValueTask<RateDecision> HitPairAsync(string key, int limit, string member, int memberLimit, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var decision = Hit(key + ":" + member, memberLimit, now);
        if (decision.Allowed)
        {
            decision = Hit(key, limit, now);
        }

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

    // KEYS[1] is the member's window, KEYS[2] the key's: one hash tag, so one slot on a cluster and one round trip.
    // The key counts only a call the member's limit (ARGV[2]) allows. Returns the member's count and milliseconds left,
    // then, if it was counted, the key's.
    private const string PairScript = """
        local member = redis.call('INCR', KEYS[1])
        if member == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        local memberTtl = redis.call('PTTL', KEYS[1])
        if member > tonumber(ARGV[2]) then return {member, memberTtl} end
        local count = redis.call('INCR', KEYS[2])
        if count == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
        return {member, memberTtl, count, redis.call('PTTL', KEYS[2])}
        """;

    private static readonly long WindowMilliseconds = (long)RateLimits.Window.TotalMilliseconds;

    public async ValueTask<RateDecision> HitAsync(string key, int limit, CancellationToken ct)
    {
        try
        {
            var answer = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Script, [Key(key)], [WindowMilliseconds]))!;
            return Decision(answer, 0, limit);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            WarnFallingBack(e);
            return await fallback.HitAsync(key, limit, ct);
        }
    }

    public async ValueTask<RateDecision> HitPairAsync(string key, int limit, string member, int memberLimit, CancellationToken ct)
    {
        try
        {
            var answer = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(PairScript,
                [Key(key) + ":" + member, Key(key)], [WindowMilliseconds, memberLimit]))!;
            return answer.Length == 2 ? Decision(answer, 0, memberLimit) : Decision(answer, 2, limit);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            WarnFallingBack(e);
            return await fallback.HitPairAsync(key, limit, member, memberLimit, ct);
        }
    }

    private readonly LogThrottle _fallbackWarnings = new(TimeSpan.FromSeconds(10));

    /// <summary>
    /// One warning per 10 s while Redis is down, with how many calls fell back since the last one: every protocol call
    /// counts here, and a line per call at thousands of calls a second would bury everything else in the log.
    /// </summary>
    private void WarnFallingBack(Exception e)
    {
        if (!_fallbackWarnings.Count(out var count))
        {
            return;
        }

        logger.LogWarning("Redis unavailable for rate limits, counting on this node alone ({Count} call(s) since the last warning): {Error}",
            count, e.Message);
    }

    /// <summary>The key in braces is the hash tag: a key and its members live in one cluster slot.</summary>
    private static string Key(string key) => $"cdx:rl:{{{key}}}";

    private static RateDecision Decision(RedisResult[] answer, int at, int limit) =>
        new((long)answer[at] <= limit, TimeSpan.FromMilliseconds(Math.Max(0, (long)answer[at + 1])));
}

/// <summary>
/// Sign-in calls are limited per client address; authenticated calls per user or API key; lease protocol calls per
/// licence and per session or machine. Over the limit: 429 <c>RATE_LIMITED</c> with <c>Retry-After</c>. With
/// <c>ConnectionStrings:Redis</c> the counts are shared by all nodes.
/// </summary>
public static class RateLimits
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    public static WebApplicationBuilder AddRateLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<MemoryRateCounter>();
        if (!Topology.Of(builder).UsesRedis)
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
        var decision = await HitSignInAsync(http);
        return decision.Allowed ? await next(context) : Rejected(http, decision.RetryAfter);
    });

    /// <summary>
    /// Counts one sign-in attempt against the caller's address: the API's sign-in endpoints and the console's sign-in,
    /// sign-up and invitation forms share this one budget per address.
    /// </summary>
    public static async ValueTask<RateDecision> HitSignInAsync(HttpContext http)
    {
        var limits = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        var address = "ip:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        return await http.RequestServices.GetRequiredService<IRateCounter>().HitAsync(address, limits.SignInPerMinute, http.RequestAborted);
    }

    /// <summary>
    /// The lease protocol's limits, which its handlers check after validating the body and before the seat ledger, so a
    /// refused call costs no database work. The call counts against <paramref name="caller"/> (a session or a machine)
    /// within the licence, then against the licence; without a caller, against the licence alone. Keyed by the hash
    /// of the licence key: the key itself never reaches Redis or a log. Null when the call may go on.
    /// </summary>
    public static async ValueTask<Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult?> LimitLeaseCallAsync(
        this HttpContext http, string keyHash, string? caller)
    {
        var limits = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        var counter = http.RequestServices.GetRequiredService<IRateCounter>();
        var license = "L:" + keyHash;
        var decision = caller is null
            ? await counter.HitAsync(license, limits.LicensePerMinute, http.RequestAborted)
            : await counter.HitPairAsync(license, limits.LicensePerMinute, caller, limits.SessionPerMinute, http.RequestAborted);
        return decision.Allowed ? null : Rejected(http, decision.RetryAfter);
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Rejected(HttpContext http, TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Problems.Of(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited, "Too many requests.",
            $"Retry after {seconds} seconds.", new Dictionary<string, object?> { ["retry_after_seconds"] = seconds });
    }
}

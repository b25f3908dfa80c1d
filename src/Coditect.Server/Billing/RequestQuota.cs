using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using Coditect.Contracts.Billing;
using Coditect.Contracts.Common;
using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace Coditect.Server.Billing;

/// <summary>
/// The plan's <c>api_requests_per_hour</c>: calls to <c>/api/v1/orgs/{org}/...</c> per organization and caller (user or
/// API key) per clock hour (UTC), counted after the organization scope admitted the call. Over the limit: 429
/// <c>RATE_LIMITED</c> with <c>Retry-After</c> (to the next hour) and <c>quota</c>, <c>limit</c>, <c>used</c>, <c>plan</c>.
/// The lease protocol (<c>/api/v1/licenses/...</c>, licence keys) is outside the group and never counts: its own
/// per-licence and per-session limits apply. Cheap on the hot path: the plan is cached per organization
/// (<see cref="PlanCache"/>) and the count is one in-memory increment, or one Redis round trip in Redis mode
/// (docs/adr/0015-request-quota-counting.md).
/// </summary>
public static class RequestQuota
{
    public static RouteGroupBuilder RequireRequestQuota(this RouteGroupBuilder org) => org.AddEndpointFilter(async (context, next) =>
    {
        var http = context.HttpContext;
        var tenant = http.RequestServices.GetRequiredService<TenantContext>();
        var caller = tenant.ApiKeyId is { } key ? "key:" + key.ToString("N") : tenant.UserId is { } user ? "user:" + user.ToString("N") : null;
        var scope = http.RequestServices.GetRequiredService<OrgScope>();
        if (caller is null || !scope.IsEntered)
        {
            return await next(context);
        }

        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var plans = http.RequestServices.GetRequiredService<PlanCache>();
        var plan = await plans.PlanAsync(scope.Organization.Id, http.RequestServices.GetRequiredService<CoditectDbContext>(), now, http.RequestAborted);
        if (http.RequestServices.GetRequiredService<PlanCatalog>().Limit(plan, Quota.ApiRequestsPerHour) is not { } limit)
        {
            return await next(context);
        }

        var hour = Metering.SeatTime.HourOf(now);
        var used = await http.RequestServices.GetRequiredService<IHourlyCounter>()
            .IncrementAsync($"{scope.Organization.Id:N}:{caller}", hour, http.RequestAborted);
        if (used <= limit)
        {
            return await next(context);
        }

        var seconds = Math.Max(1, (int)Math.Ceiling((hour + Metering.SeatTime.Hour - now).TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Problems.Of(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited, "Too many requests this hour.",
            $"The {plan} plan allows {limit} API requests per hour per user or API key; retry after {seconds} seconds.",
            new Dictionary<string, object?>
            {
                ["quota"] = QuotaNames.ApiRequestsPerHour, ["limit"] = limit, ["used"] = used, ["plan"] = plan, ["retry_after_seconds"] = seconds,
            });
    });
}

/// <summary>
/// The plan in force per organization, cached for <see cref="Lifetime"/> on each node so the request quota costs no
/// query on most calls. The plan is recomputed from the cached billing row on every call (a period that ends takes
/// effect at once); a plan change reaches every node within <see cref="Lifetime"/>, and this node at once
/// (<see cref="Forget"/>).
/// </summary>
public sealed class PlanCache(PlanCatalog catalog)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<Guid, Entry> _entries = new();

    private sealed record Entry(string? Plan, string Status, DateTime? PeriodEnd, DateTime Until);

    public async ValueTask<string> PlanAsync(Guid organizationId, CoditectDbContext db, DateTime now, CancellationToken ct)
    {
        if (!_entries.TryGetValue(organizationId, out var entry) || entry.Until <= now || entry.Until > now + Lifetime)
        {
            var account = await db.Set<BillingAccount>().AsNoTracking().Where(a => a.TenantId == organizationId)
                .Select(a => new { a.Plan, a.Status, a.PeriodEnd }).FirstOrDefaultAsync(ct);
            entry = new Entry(account?.Plan, account?.Status ?? SubscriptionStatuses.None, account?.PeriodEnd, now + Lifetime);
            _entries[organizationId] = entry;
        }

        return BillingAccount.PlanAt(new BillingAccount { Plan = entry.Plan, Status = entry.Status, PeriodEnd = entry.PeriodEnd }, now, catalog.DefaultPlan);
    }

    /// <summary>Drops an organization's entry (its billing changed on this node).</summary>
    public void Forget(Guid organizationId) => _entries.TryRemove(organizationId, out _);
}

/// <summary>Counts calls per key in clock hours.</summary>
public interface IHourlyCounter
{
    /// <summary>Counts one call for <paramref name="key"/> in the hour starting at <paramref name="hour"/>; returns the hour's count so far.</summary>
    ValueTask<long> IncrementAsync(string key, DateTime hour, CancellationToken ct);
}

/// <summary>
/// This node's counts, in memory: one interlocked increment per call. Counts of ended hours are dropped when the next
/// hour begins. Without Redis each node counts alone (docs/adr/0015-request-quota-counting.md).
/// </summary>
public sealed class MemoryHourlyCounter : IHourlyCounter
{
    private readonly ConcurrentDictionary<(string Key, long Hour), StrongBox<long>> _counts = new();
    private long _currentHour;

    internal int Count => _counts.Count;

    public ValueTask<long> IncrementAsync(string key, DateTime hour, CancellationToken ct)
    {
        var ticks = hour.Ticks;
        var current = Interlocked.Read(ref _currentHour);
        if (ticks > current && Interlocked.CompareExchange(ref _currentHour, ticks, current) == current)
        {
            foreach (var entry in _counts)
            {
                if (entry.Key.Hour < ticks)
                {
                    _counts.TryRemove(entry);
                }
            }
        }

        var box = _counts.GetOrAdd((key, ticks), _ => new StrongBox<long>());
        return ValueTask.FromResult(Interlocked.Increment(ref box.Value));
    }
}

/// <summary>
/// Counts in Redis, shared by every node: <c>INCR</c> on a key per caller and hour that expires after the hour. If
/// Redis does not answer, the node counts alone (<see cref="MemoryHourlyCounter"/>) rather than refuse calls, with one
/// warning per 10 s.
/// </summary>
public sealed class RedisHourlyCounter(IConnectionMultiplexer redis, MemoryHourlyCounter fallback, ILogger<RedisHourlyCounter> logger) : IHourlyCounter
{
    private const string Script = """
        local count = redis.call('INCR', KEYS[1])
        if count == 1 then redis.call('PEXPIREAT', KEYS[1], ARGV[1]) end
        return count
        """;

    private readonly LogThrottle _warnings = new(TimeSpan.FromSeconds(10));

    public async ValueTask<long> IncrementAsync(string key, DateTime hour, CancellationToken ct)
    {
        var hourUnix = new DateTimeOffset(DateTime.SpecifyKind(hour, DateTimeKind.Utc)).ToUnixTimeSeconds();
        // Kept a minute past the hour: a node whose clock runs a little behind still finds the hour's count.
        var expireAt = (hourUnix + 3600 + 60) * 1000;
        try
        {
            return (long)await redis.GetDatabase().ScriptEvaluateAsync(Script, [(RedisKey)$"cdx:rq:{{{key}}}:{hourUnix}"], [expireAt]);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            if (_warnings.Count(out var count))
            {
                logger.LogWarning("Redis unavailable for the request quota, counting on this node alone ({Count} call(s) since the last warning): {Error}",
                    count, e.Message);
            }

            return await fallback.IncrementAsync(key, hour, ct);
        }
    }
}

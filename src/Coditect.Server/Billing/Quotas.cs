using Coditect.Contracts.Billing;
using Coditect.Contracts.Common;
using Coditect.Server.Data;
using Coditect.Server.Platform;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Billing;

/// <summary>
/// How much of a countable quota an organization uses, as the organization's own rows say. Billing registers the
/// counters of members, licences and projects; a feature that stores something else a plan limits (work-session
/// messages and their bytes) registers its own: <c>services.AddSingleton(new QuotaCounter(Quota.Messages, ...))</c>.
/// A quota without a counter counts 0. The query runs in the caller's transaction, inside the organization.
/// </summary>
public sealed record QuotaCounter(Quota Quota, Func<CoditectDbContext, DateTime, CancellationToken, Task<long>> CountAsync);

/// <summary>
/// The plan's limits, enforced where something is created or grown (scoped; in the request's transaction and
/// organization). A use case calls <see cref="EnsureRoomAsync"/> (or <see cref="EnsureWithinAsync"/> for a per-object
/// limit) after its own validation and before it saves; a refusal is 402 <c>QUOTA_EXCEEDED</c> with <c>quota</c>,
/// <c>limit</c>, <c>used</c> and <c>plan</c>, and the caller stores nothing.
///
/// Concurrency: when the plan limits the quota, the check first locks the organization's billing row (an upsert, so
/// the row exists and is locked in one statement; PostgreSQL holds the lock to commit, SQLite's single writer holds
/// the whole file), then counts. Of parallel creations with one unit left, the first to lock counts, fits and
/// commits; the next counts after that commit (each statement of a READ COMMITTED transaction sees what committed
/// before it) and is refused. Unlimited plans take no lock.
/// </summary>
public sealed class Quotas(CoditectDbContext db, PlanCatalog catalog, IEnumerable<QuotaCounter> counters, TimeProvider clock)
{
    /// <summary>
    /// Null when <paramref name="adding"/> more units of <paramref name="quota"/> fit the organization's plan; else the
    /// 402 refusal. Call it in the transaction that then stores them; once it returns null the organization's quota
    /// lock is held to commit, so parallel callers cannot both take the last unit.
    /// </summary>
    public async Task<Refusal?> EnsureRoomAsync(Quota quota, long adding, CancellationToken ct)
    {
        if (quota is Quota.SeatsPerLicense or Quota.ApiRequestsPerHour)
        {
            throw new ArgumentException($"{quota} is not counted per organization.", nameof(quota));
        }

        var now = clock.GetUtcNow().UtcDateTime;
        if (adding <= 0 || catalog.Limit(await PlanAsync(now, ct), quota) is null)
        {
            return null;
        }

        await LockAsync(db, now, ct);
        var plan = await PlanAsync(now, ct); // again, under the lock: staff may have changed it meanwhile
        if (catalog.Limit(plan, quota) is not { } limit)
        {
            return null;
        }

        var used = await CountAsync(quota, now, ct);
        return used + adding <= limit ? null : Exceeded(quota, limit, used, plan);
    }

    /// <summary>
    /// Null when an object may have <paramref name="value"/> of a per-object quota (the seats of one licence): within
    /// the limit, or not more than it has now (<paramref name="current"/>, 0 for a new object: a downgrade keeps what
    /// exists and blocks only growth).
    /// </summary>
    public async Task<Refusal?> EnsureWithinAsync(Quota quota, long value, long current, CancellationToken ct)
    {
        if (value <= current)
        {
            return null;
        }

        var plan = await PlanAsync(clock.GetUtcNow().UtcDateTime, ct);
        return catalog.Limit(plan, quota) is { } limit && value > limit ? Exceeded(quota, limit, current, plan) : null;
    }

    /// <summary>The plan in force and every quota's use and limit.</summary>
    public async Task<UsageOverview> UsageAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var plan = await PlanAsync(now, ct);
        var items = new List<QuotaUsage>();
        foreach (var quota in QuotaWire.All)
        {
            long? used = quota switch
            {
                Quota.SeatsPerLicense => await db.Set<Licensing.License>().Where(l => l.ManagedBy == null)
                    .Select(l => (int?)l.SeatsTotal).MaxAsync(ct) ?? 0,
                Quota.ApiRequestsPerHour => null,
                _ => await CountAsync(quota, now, ct),
            };
            items.Add(new QuotaUsage(quota.ToWire(), used, catalog.Limit(plan, quota)));
        }

        return new UsageOverview(plan, items);
    }

    /// <summary>The plan in force for the current organization.</summary>
    public async Task<string> PlanAsync(DateTime now, CancellationToken ct)
    {
        var account = await db.Set<BillingAccount>().AsNoTracking().FirstOrDefaultAsync(ct);
        return BillingAccount.PlanAt(account, now, catalog.DefaultPlan);
    }

    /// <summary>
    /// Makes the organization's billing row if it has none and locks it to the end of the transaction. Every writer of
    /// the row and every quota check takes it first.
    /// </summary>
    internal static async Task LockAsync(CoditectDbContext db, DateTime now, CancellationToken ct)
    {
        var tenantId = db.Tenant.TenantId ?? throw new InvalidOperationException("A quota belongs to an organization: enter one first.");
        var id = Guid.CreateVersion7();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO billing_accounts (id, tenant_id, status, seats, cancel_at_period_end, created_at, updated_at)
            VALUES ({id}, {tenantId}, {SubscriptionStatuses.None}, 0, false, {now}, {now})
            ON CONFLICT (tenant_id) DO UPDATE SET updated_at = billing_accounts.updated_at
            """, ct);
    }

    private async Task<long> CountAsync(Quota quota, DateTime now, CancellationToken ct)
    {
        long used = 0;
        foreach (var counter in counters.Where(c => c.Quota == quota))
        {
            used += await counter.CountAsync(db, now, ct);
        }

        return used;
    }

    private static Refusal Exceeded(Quota quota, long limit, long used, string plan) =>
        new(StatusCodes.Status402PaymentRequired, ProblemCodes.QuotaExceeded,
            $"The {plan} plan allows {limit:N0} {quota.ToWire().Replace('_', ' ')}; upgrade the plan or make room.",
            Extensions: new Dictionary<string, object?> { ["quota"] = quota.ToWire(), ["limit"] = limit, ["used"] = used, ["plan"] = plan });
}

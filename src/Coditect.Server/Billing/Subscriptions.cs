using Coditect.Contracts.Billing;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Data;
using Coditect.Server.Licensing;
using Coditect.Server.Licensing.Admin;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Billing;

/// <summary>
/// Subscription use cases (scoped; in the caller's transaction, inside the organization it entered): read the
/// organization's billing, start its one trial, and staff's manual plan. Each locks the billing row first (as quota
/// checks do), saves (audited as <c>subscription.*</c>), keeps the product licence in step and raises
/// <c>subscription.*</c> on the outbox.
/// </summary>
public sealed class Subscriptions(CoditectDbContext db, PlanCatalog catalog, IOptions<BillingOptions> options, TimeProvider clock, PlanCache plans)
{
    private BillingOptions Options => options.Value;

    public bool PlanExists(string plan) => catalog.Exists(plan);

    public async Task<BillingResponse> GetAsync(CancellationToken ct)
    {
        var account = await db.Set<BillingAccount>().AsNoTracking().FirstOrDefaultAsync(ct);
        return ToResponse(account, clock.GetUtcNow().UtcDateTime);
    }

    /// <summary>
    /// Starts the organization's one trial: <c>Billing:TrialPlan</c> for <c>Billing:TrialDays</c>, with the product
    /// licence (if any) expiring when the trial does. A second trial is 409 <c>TRIAL_ALREADY_USED</c>; a subscription in
    /// force (not a trial) is 409 <c>SUBSCRIPTION_ACTIVE</c>.
    /// </summary>
    public async Task<Outcome<BillingResponse>> StartTrialAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var account = await LockedAsync(now, ct);
        if (account.TrialStartedAt is not null)
        {
            return Refusal.Conflict(ProblemCodes.TrialAlreadyUsed, "This organization has had its trial.");
        }

        if (account.Status is SubscriptionStatuses.Active or SubscriptionStatuses.PastDue && BillingAccount.PlanAt(account, now, "") != "")
        {
            return Refusal.Conflict(ProblemCodes.SubscriptionActive, "This organization has a subscription; a trial would replace it.");
        }

        var first = account.Plan is null;
        account.Plan = Options.TrialPlan;
        account.Status = SubscriptionStatuses.Trialing;
        account.TrialStartedAt = now;
        account.TrialEndsAt = WholeSeconds(now).AddDays(Options.TrialDays);
        account.PeriodEnd = account.TrialEndsAt;
        account.CancelAtPeriodEnd = false;
        account.Seats = Math.Max(account.Seats, Options.ProductLicense.TrialSeats);
        var key = await SyncProductLicenseAsync(account, now, ct);
        await db.SaveChangesAsync(ct);
        plans.Forget(account.TenantId); // the request quota's cached plan, on this node
        var response = ToResponse(account, now);
        if (first)
        {
            await db.RaiseAsync(BillingEvents.Created, response, ct);
        }

        await db.RaiseAsync(BillingEvents.TrialStarted, response, ct);
        return response with { ProductLicenseKey = key };
    }

    /// <summary>
    /// Staff set the plan and period by hand (the manual provider): <paramref name="input"/>'s plan (null: back to the
    /// default plan), its period end (null: no end) and the seats of the product licence.
    /// </summary>
    public async Task<Outcome<BillingResponse>> SetPlanAsync(SetPlanRequest input, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var errors = new Validator();
        if (input.Plan is { } plan && !catalog.Exists(plan))
        {
            errors.Add("plan", $"must be one of {string.Join(", ", catalog.Names)}, or null for the default plan.");
        }

        if (input.PeriodEnd is { } end && end.ToUniversalTime() <= now)
        {
            errors.Add("period_end", "must be in the future, or null for no end.");
        }

        if (input.Seats is < 0 or > License.MaxSeats)
        {
            errors.Add("seats", $"must be from 0 to {License.MaxSeats:N0}.");
        }

        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        var account = await LockedAsync(now, ct);
        var first = account.Plan is null && input.Plan is not null;
        account.Plan = input.Plan;
        account.Status = input.Plan is null ? SubscriptionStatuses.None : SubscriptionStatuses.Active;
        account.PeriodEnd = input.Plan is null || input.PeriodEnd is not { } periodEnd ? null : WholeSeconds(periodEnd.ToUniversalTime());
        account.Seats = input.Seats ?? (account.Seats > 0 ? account.Seats : 1);
        account.CancelAtPeriodEnd = false;
        account.PastDueSince = null;
        var key = await SyncProductLicenseAsync(account, now, ct);
        await db.SaveChangesAsync(ct);
        plans.Forget(account.TenantId); // the request quota's cached plan, on this node
        var response = ToResponse(account, now);
        await db.RaiseAsync(first ? BillingEvents.Created : BillingEvents.Updated, response, ct);
        return response with { ProductLicenseKey = key };
    }

    /// <summary>
    /// After a payment provider changed the (locked, tracked) account: keeps the product licence in step, saves and
    /// raises <paramref name="type"/> (<c>subscription.created</c> instead for the organization's first plan).
    /// </summary>
    internal async Task<BillingResponse> ProviderChangedAsync(BillingAccount account, bool first, string type, DateTime now, CancellationToken ct)
    {
        await SyncProductLicenseAsync(account, now, ct);
        await db.SaveChangesAsync(ct);
        plans.Forget(account.TenantId); // the request quota's cached plan, on this node
        var response = ToResponse(account, now);
        await db.RaiseAsync(first ? BillingEvents.Created : type, response, ct);
        return response;
    }

    /// <summary>
    /// Gives the product licence a new key and answers it, the only time it is shown (a licence made by a Stripe
    /// checkout showed its key to no one). The old key stops working at once for acquisitions, validations and
    /// heartbeats on every node (<c>license.updated</c> drops every node's cached copy); leases already held run to
    /// their expiry. Audited as <c>license.updated</c> (the key's preview changes; the key itself is never logged).
    /// 404 <c>LICENSE_NOT_FOUND</c> when billing made no product licence here.
    /// </summary>
    public async Task<Outcome<LicenseResponse>> RotateProductKeyAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var account = await LockedAsync(now, ct);
        var license = account.ProductLicenseId is { } id ? await db.Set<License>().FirstOrDefaultAsync(l => l.Id == id, ct) : null;
        if (license is null)
        {
            return Refusal.NotFound(ProblemCodes.LicenseNotFound, "The product licence");
        }

        var key = LicenseKeys.New();
        license.KeyHash = LicenseKeys.Hash(key);
        license.KeyPreview = LicenseKeys.Preview(key);
        await db.SaveChangesAsync(ct);
        var response = license.ToResponse(await LicenseEndpoints.SeatsUsedAsync(db, license.Id, now, ct), now);
        await db.RaiseAsync(LicensingEvents.Updated, response, ct);
        return response with { LicenseKey = key };
    }

    /// <summary>Brings the product licence in step with the account as it is now (the grace job: past due too long).</summary>
    internal async Task RecheckProductLicenseAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var account = await LockedAsync(now, ct);
        await SyncProductLicenseAsync(account, now, ct);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The organization's billing row, made if missing and locked to commit, tracked for change.</summary>
    internal async Task<BillingAccount> LockedAsync(DateTime now, CancellationToken ct)
    {
        await Quotas.LockAsync(db, now, ct);
        return await db.Set<BillingAccount>().SingleAsync(ct);
    }

    /// <summary>
    /// Keeps the product licence in step with the subscription: while the plan includes it, it exists with the
    /// subscription's seats and expires at the period's end; otherwise it expires now (no running lease is cut short:
    /// an expired licence refuses acquires and heartbeats, and leases lapse on their own time). Returns the key of a
    /// licence made now (shown once).
    /// </summary>
    private async Task<string?> SyncProductLicenseAsync(BillingAccount account, DateTime now, CancellationToken ct)
    {
        var product = Options.ProductLicense;
        var license = account.ProductLicenseId is { } id ? await db.Set<License>().FirstOrDefaultAsync(l => l.Id == id, ct) : null;
        var inForce = BillingAccount.PlanAt(account, now, "");
        var included = product.Enabled && inForce.Length > 0 && product.Plans.Contains(inForce) && account.Seats > 0;
        if (!included)
        {
            if (license is not null && !license.IsExpired(now))
            {
                license.ExpiresAt = now;
                await db.SaveChangesAsync(ct);
                await db.RaiseAsync(LicensingEvents.Updated, license.ToResponse(await LicenseEndpoints.SeatsUsedAsync(db, license.Id, now, ct), now), ct);
            }

            return null;
        }

        string? key = null;
        if (license is null)
        {
            key = LicenseKeys.New();
            license = new License
            {
                Name = product.Name!,
                KeyHash = LicenseKeys.Hash(key),
                KeyPreview = LicenseKeys.Preview(key),
                State = LicenseState.Active,
                ManagedBy = LicenseOwners.Billing,
                Entitlements = System.Text.Json.JsonSerializer.Serialize(product.Entitlements),
            };
            db.Add(license);
            account.ProductLicenseId = license.Id;
        }

        var created = key is not null;
        // Past due beyond the grace: suspended until a payment arrives (checked whenever billing changes).
        var state = account.PastDueSince is { } since && since.AddDays(Options.GraceDays) <= now ? LicenseState.Suspended : LicenseState.Active;
        var type = created ? LicensingEvents.Created
            : state != license.State ? (state == LicenseState.Suspended ? LicensingEvents.Suspended : LicensingEvents.Reinstated)
            : license.SeatsTotal != account.Seats || license.ExpiresAt != account.PeriodEnd ? LicensingEvents.Updated
            : null;
        license.SeatsTotal = account.Seats;
        license.ExpiresAt = account.PeriodEnd;
        license.State = state;
        if (type is not null)
        {
            await db.SaveChangesAsync(ct);
            var used = created ? 0 : await LicenseEndpoints.SeatsUsedAsync(db, license.Id, now, ct);
            await db.RaiseAsync(type, license.ToResponse(used, now), ct);
        }

        return key;
    }

    /// <summary>Periods are whole seconds, as payment providers keep them (and PostgreSQL keeps no ticks).</summary>
    private static DateTime WholeSeconds(DateTime time) => new(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);

    internal BillingResponse ToResponse(BillingAccount? account, DateTime now) => new(
        BillingAccount.PlanAt(account, now, catalog.DefaultPlan),
        account?.Plan,
        account?.Status ?? SubscriptionStatuses.None,
        Options.Provider.ToString().ToLowerInvariant(),
        account?.Seats ?? 0,
        account?.PeriodEnd,
        account?.TrialEndsAt,
        account?.TrialStartedAt is not null,
        account?.CancelAtPeriodEnd ?? false,
        account?.ProductLicenseId,
        account?.UpdatedAt);
}

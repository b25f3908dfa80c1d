namespace Coditect.Contracts.Billing;

/// <summary>Quota names on the wire (<c>/usage</c>, the <c>quota</c> member of 402 <c>QUOTA_EXCEEDED</c>, <c>Plans:{plan}:{quota}</c>).</summary>
public static class QuotaNames
{
    public const string Members = "members";
    public const string Licenses = "licenses";
    public const string SeatsPerLicense = "seats_per_license";
    public const string Projects = "projects";
    public const string Messages = "messages";
    public const string MessageBytes = "message_bytes";
    public const string ApiRequestsPerHour = "api_requests_per_hour";
}

/// <summary>Subscription status on the wire.</summary>
public static class SubscriptionStatuses
{
    /// <summary>No subscription: the organization is on the default plan.</summary>
    public const string None = "none";
    public const string Trialing = "trialing";
    public const string Active = "active";
    public const string PastDue = "past_due";
    public const string Canceled = "canceled";
}

/// <summary>
/// One quota's use against the organization's plan; <c>limit</c> null is unlimited, <c>used</c> null where use is
/// counted per caller (<c>api_requests_per_hour</c>).
/// </summary>
public sealed record QuotaUsage(string Quota, long? Used, long? Limit);

/// <summary><c>GET /orgs/{org}/usage</c>: the plan in force and each quota's use and limit.</summary>
public sealed record UsageOverview(string Plan, IReadOnlyList<QuotaUsage> Quotas);

/// <summary>
/// An organization's billing: <c>plan</c> is the plan in force now (the default plan once a period has ended);
/// <c>subscribed_plan</c> the subscription's (or the one staff set), even after its period ended, null for none;
/// <c>trial_used</c> true once the organization has started its one trial; <c>product_license_id</c> the operator's
/// product licence billing manages here, if any, and <c>product_license_key</c> its key, only in the answer of the call
/// that made it.
/// </summary>
public sealed record BillingResponse(
    string Plan,
    string? SubscribedPlan,
    string Status,
    string Provider,
    int Seats,
    DateTime? PeriodEnd,
    DateTime? TrialEndsAt,
    bool TrialUsed,
    bool CancelAtPeriodEnd,
    Guid? ProductLicenseId,
    DateTime? UpdatedAt,
    string? ProductLicenseKey = null);

/// <summary>Staff set an organization's plan and period (manual provider). <c>period_end</c> null: no end.</summary>
public sealed record SetPlanRequest(string? Plan, DateTime? PeriodEnd = null, int? Seats = null);

/// <summary><c>POST /orgs/{org}/billing/checkout</c>: the plan to subscribe to and the product licence's seats (default 1).</summary>
public sealed record CheckoutRequest(string? Plan, int? Seats = null);

/// <summary>Where to send the owner: Stripe's checkout page, or its customer portal.</summary>
public sealed record BillingLink(string Url);

/// <summary>
/// One licence's metered use in one clock hour (UTC): <c>seat_hours</c> is the time its seats were held, exactly, from
/// the leases' start and end times (a lease from 10:50 to 11:20 gives 1/6 in hour 10 and 1/3 in hour 11);
/// <c>acquisitions</c> the leases started in the hour. <c>partial</c>: the hour is still running, or not yet closed by
/// the metering job (its figures may still grow).
/// </summary>
public sealed record MeteredHour(Guid LicenseId, DateTime Hour, double SeatHours, int Acquisitions, bool Partial);

/// <summary>The sums over a range.</summary>
public sealed record MeteredTotals(double SeatHours, int Acquisitions);

/// <summary>
/// <c>GET /orgs/{org}/billing/usage</c>: metered use per licence and hour in <c>[from, to)</c> (hours without use are
/// left out), and the totals. The same figures are reported to Stripe for an organization with a subscription.
/// </summary>
public sealed record MeteredUsage(DateTime From, DateTime To, IReadOnlyList<MeteredHour> Items, MeteredTotals Totals);

using System.ComponentModel.DataAnnotations;

namespace Coditect.Server.Billing;

/// <summary>Who takes payment: staff by hand (<see cref="Manual"/>), or Stripe.</summary>
public enum BillingProvider
{
    Manual,
    Stripe,
}

/// <summary><c>Billing:*</c> settings. Plans and their limits are <c>Plans:{plan}:{quota}</c> (see <see cref="PlanCatalog"/>).</summary>
public sealed class BillingOptions
{
    public const string Section = "Billing";

    public BillingProvider Provider { get; set; } = BillingProvider.Manual;

    /// <summary>
    /// The plan of an organization without a subscription in force. Unset: <c>free</c> with a payment provider
    /// (Stripe), <c>enterprise</c> otherwise (a self-hosted server without billing is not capped).
    /// </summary>
    public string? DefaultPlan { get; set; }

    /// <summary>The plan a trial gives.</summary>
    [Required]
    public string TrialPlan { get; set; } = "pro";

    [Range(1, 365)]
    public int TrialDays { get; set; } = 14;

    /// <summary>Days a past-due subscription keeps its product licence before it is suspended.</summary>
    [Range(0, 90)]
    public int GraceDays { get; set; } = 7;

    /// <summary>
    /// How often the metering job (<c>usage-meter</c>, once in the cluster) closes ended hours and reports them to
    /// Stripe, in seconds. An hour closes once it ended more than a lease's TTL and a heartbeat flush ago.
    /// </summary>
    [Range(10, 3600)]
    public int MeterSeconds { get; set; } = 300;

    /// <summary>The operator's own product, as a licence billing creates in a subscribing organization; off without a name.</summary>
    public ProductLicenseOptions ProductLicense { get; set; } = new();

    /// <summary><c>Billing:Stripe:*</c>, read when the provider is Stripe.</summary>
    public StripeOptions Stripe { get; set; } = new();

    public string EffectiveDefaultPlan => DefaultPlan is { Length: > 0 } plan ? plan
        : Provider == BillingProvider.Stripe ? "free" : "enterprise";
}

/// <summary><c>Billing:ProductLicense:*</c>.</summary>
public sealed class ProductLicenseOptions
{
    /// <summary>The licence's name; empty: plans include no product licence.</summary>
    public string? Name { get; set; }

    /// <summary>The plans whose subscriptions include it.</summary>
    public List<string> Plans { get; set; } = ["pro", "enterprise"];

    /// <summary>The product licence's seats during a trial.</summary>
    [Range(1, 1_000_000)]
    public int TrialSeats { get; set; } = 5;

    /// <summary>The licence's entitlements.</summary>
    public List<string> Entitlements { get; set; } = [];

    public bool Enabled => !string.IsNullOrWhiteSpace(Name);
}

/// <summary><c>Billing:Stripe:*</c>.</summary>
public sealed class StripeOptions
{
    /// <summary>The secret API key (<c>sk_...</c>).</summary>
    public string? SecretKey { get; set; }

    /// <summary>The webhook endpoint's signing secret (<c>whsec_...</c>).</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>Stripe's API base address; tests point it at a local stand-in.</summary>
    public string ApiBase { get; set; } = "https://api.stripe.com";

    /// <summary>How old a signed webhook may be, in seconds (Stripe's libraries use 300).</summary>
    [Range(1, 3600)]
    public int WebhookToleranceSeconds { get; set; } = 300;

    /// <summary>The Stripe price of each plan: <c>Billing:Stripe:Prices:pro = price_...</c>.</summary>
    public Dictionary<string, string> Prices { get; set; } = [];

    /// <summary>
    /// The event name of the Stripe meter that gets seat-minutes (whole numbers: Stripe's meters take no fractions),
    /// one event per subscription and hour; empty: seat time is not reported.
    /// </summary>
    [MaxLength(100)]
    public string? SeatMeterEvent { get; set; }

    /// <summary>The event name of the Stripe meter that gets acquisitions per subscription and hour; empty: not reported.</summary>
    [MaxLength(100)]
    public string? AcquisitionMeterEvent { get; set; }

    /// <summary>The plan whose price this is, or null.</summary>
    public string? PlanOf(string? priceId) => Prices.FirstOrDefault(p => p.Value == priceId).Key;
}

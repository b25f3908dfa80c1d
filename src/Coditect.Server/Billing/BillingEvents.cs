namespace Coditect.Server.Billing;

/// <summary>
/// The events billing raises on the outbox; <c>data</c> is <c>BillingResponse</c> (the API's shape of
/// <c>GET /orgs/{org}/billing</c>). Changes billing makes to the product licence raise the usual <c>license.*</c> events.
/// </summary>
public static class BillingEvents
{
    /// <summary>The organization's first plan that is not the default (staff set it, or a trial or checkout began).</summary>
    public const string Created = "subscription.created";

    /// <summary>The plan, period, seats or status changed.</summary>
    public const string Updated = "subscription.updated";

    public const string TrialStarted = "subscription.trial_started";

    /// <summary>Stripe: the trial ends in three days.</summary>
    public const string TrialWillEnd = "subscription.trial_will_end";

    /// <summary>The subscription ended (canceled, or deleted at Stripe); the default plan applies.</summary>
    public const string Canceled = "subscription.canceled";

    /// <summary>An invoice was paid: the period (and the product licence's expiry) moves on.</summary>
    public const string InvoicePaid = "invoice.paid";

    /// <summary>A payment failed: past due; after the grace the product licence is suspended.</summary>
    public const string InvoicePaymentFailed = "invoice.payment_failed";
}

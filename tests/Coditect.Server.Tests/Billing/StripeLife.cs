using System.Net;
using System.Text;
using System.Text.Json;
using Coditect.Server.Billing.Stripe;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Billing;

/// <summary>One organization's Stripe events, as Stripe builds them (the fields the server reads, and a few more).</summary>
public sealed class StripeLife(Guid organizationId, DateTime start)
{
    private readonly string _tag = Guid.NewGuid().ToString("N")[..10];
    private readonly List<string> _all = [];
    private int _n;

    public List<string> All() => _all;

    private string Customer => "cus_" + _tag;
    public string SubscriptionId => "sub_" + _tag;

    public string Checkout() => Event("checkout.session.completed", new
    {
        id = "cs_" + _tag, @object = "checkout.session", mode = "subscription", client_reference_id = organizationId.ToString(),
        customer = Customer, subscription = SubscriptionId, metadata = new { plan = "pro", seats = "3" },
    });

    public string Subscription(string verb, string status, int quantity, DateTime periodEnd, bool cancelAtPeriodEnd = false) =>
        Event("customer.subscription." + verb, new
        {
            id = SubscriptionId, @object = "subscription", customer = Customer, status, cancel_at_period_end = cancelAtPeriodEnd,
            metadata = new { organization_id = organizationId.ToString() },
            items = new { @object = "list", data = new[] { new { id = "si_" + _tag, quantity, price = new { id = "price_pro" }, current_period_end = Unix(periodEnd) } } },
        });

    /// <summary>Stripe's notice three days before a trial ends (its object is the subscription).</summary>
    public string TrialWillEnd(DateTime trialEnd) => Event("customer.subscription.trial_will_end", new
    {
        id = SubscriptionId, @object = "subscription", customer = Customer, status = "trialing",
        trial_start = Unix(start), trial_end = Unix(trialEnd),
        metadata = new { organization_id = organizationId.ToString() },
    });

    public string Invoice(string verb, DateTime periodEnd) => Event("invoice." + verb, new
    {
        id = $"in_{_tag}_{_n}", @object = "invoice", customer = Customer,
        parent = new { type = "subscription_details", subscription_details = new { subscription = SubscriptionId, metadata = new { organization_id = organizationId.ToString() } } },
        lines = new { @object = "list", data = new[] { new { period = new { start = Unix(periodEnd.AddDays(-30)), end = Unix(periodEnd) } } } },
    });

    private string Event(string type, object data)
    {
        _n++;
        var body = JsonSerializer.Serialize(new
        {
            id = $"evt_{_tag}_{_n}", @object = "event", api_version = "2025-03-31.basil", type, livemode = false,
            created = Unix(start.AddMinutes(_n)), // Stripe's creation time: the order the events happened in
            data = new { @object = data },
        });
        _all.Add(body);
        return body;
    }

    private static long Unix(DateTime time) => new DateTimeOffset(time).ToUnixTimeSeconds();
}

public static class StripeEvents
{
    /// <summary>Posts <paramref name="body"/> to the webhook signed as Stripe signs it; answers the webhook's <c>result</c>.</summary>
    public static async Task<string> PostStripeEventAsync(this StripeApp app, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/billing/stripe/webhook") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", StripeSignature.Sign(body, StripeApp.Secret, app.Clock.GetUtcNow().ToUnixTimeSeconds()));
        var response = await app.Anonymous().Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("result").GetString()!;
    }
}

using System.Net;
using Coditect.Contracts.Billing;
using Coditect.Contracts.Common;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Billing;

public abstract class StripeCheckoutTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : StripeApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task Checkout_makes_one_customer_per_organization_and_a_subscription_session_naming_it()
    {
        var owner = await _anonymous.RegisterAsync();

        var first = await (await owner.Client.PostAsync($"{owner.OrgPath}/billing/checkout", new CheckoutRequest("pro", 3))).ReadAsync<BillingLink>(HttpStatusCode.OK);
        var second = await (await owner.Client.PostAsync($"{owner.OrgPath}/billing/checkout", new CheckoutRequest("enterprise"))).ReadAsync<BillingLink>(HttpStatusCode.OK);

        first.Url.ShouldStartWith("https://checkout.stripe.com/c/pay/cs_test_");
        second.Url.ShouldNotBe(first.Url);
        var customers = app.Stripe.To("/v1/customers").Where(r => r.Form.GetValueOrDefault("metadata[organization_id]") == owner.OrgId.ToString()).ToList();
        var customer = customers.ShouldHaveSingleItem(); // created once, then reused
        customer.IdempotencyKey.ShouldBe($"customer-{owner.OrgId}");
        customer.Authorization.ShouldBe($"Bearer {StripeApp.ApiKey}");
        var sessions = app.Stripe.To("/v1/checkout/sessions").Where(r => r.Form.GetValueOrDefault("client_reference_id") == owner.OrgId.ToString()).ToList();
        sessions.Count.ShouldBe(2);
        var session = sessions[0].Form;
        session["mode"].ShouldBe("subscription");
        session["line_items[0][price]"].ShouldBe("price_pro");
        session["line_items[0][quantity]"].ShouldBe("3");
        session["subscription_data[metadata][organization_id]"].ShouldBe(owner.OrgId.ToString());
        session["subscription_data[metadata][plan]"].ShouldBe("pro");
        session["success_url"].ShouldBe($"https://coditect.example.com/orgs/{owner.OrgSlug}/billing?checkout=done");
        sessions[1].Form["customer"].ShouldBe(session["customer"]);
        sessions[1].Form["line_items[0][price]"].ShouldBe("price_enterprise");
        sessions[1].Form["line_items[0][quantity]"].ShouldBe("1");
        sessions[0].IdempotencyKey.ShouldNotBeNullOrEmpty(); // Stripe.net adds one to every POST, so its retries are safe
    }

    [Fact]
    public async Task A_plan_without_a_price_is_400_and_calls_nothing()
    {
        var owner = await _anonymous.RegisterAsync();
        var before = app.Stripe.Requests.Count;

        var refused = await owner.Client.PostAsync($"{owner.OrgPath}/billing/checkout", new CheckoutRequest("free", 1));

        (await refused.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed)).GetProperty("errors").TryGetProperty("plan", out _).ShouldBeTrue();
        app.Stripe.Requests.Count.ShouldBe(before);
    }

    [Fact]
    public async Task The_portal_needs_a_customer_then_links_to_Stripes_portal()
    {
        var owner = await _anonymous.RegisterAsync();
        await (await owner.Client.PostAsync($"{owner.OrgPath}/billing/portal")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSubscription);

        await (await owner.Client.PostAsync($"{owner.OrgPath}/billing/checkout", new CheckoutRequest("pro", 2))).ReadAsync<BillingLink>(HttpStatusCode.OK);
        var portal = await (await owner.Client.PostAsync($"{owner.OrgPath}/billing/portal")).ReadAsync<BillingLink>(HttpStatusCode.OK);

        portal.Url.ShouldStartWith("https://billing.stripe.com/p/session/");
        var request = app.Stripe.To("/v1/billing_portal/sessions")[^1];
        request.Form["return_url"].ShouldBe($"https://coditect.example.com/orgs/{owner.OrgSlug}/billing");
        request.Form["customer"].ShouldStartWith("cus_standin");
    }
}

public sealed class StripeCheckoutTestsOnSqlite(StripeSqliteApp app) : StripeCheckoutTests<StripeSqliteApp>(app);

public sealed class StripeCheckoutTestsOnPostgres(StripePostgresApp app) : StripeCheckoutTests<StripePostgresApp>(app);

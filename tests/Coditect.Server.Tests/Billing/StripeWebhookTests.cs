using System.Net;
using System.Text;
using System.Text.Json;
using Coditect.Contracts.Billing;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Billing;
using Coditect.Server.Billing.Stripe;
using Microsoft.Extensions.DependencyInjection;
using Coditect.Server.Data;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Billing;

/// <summary>A server billing through Stripe (its webhook only: Stripe itself is not reachable from here).</summary>
public abstract class StripeApp : CoditectApp
{
    public const string Secret = "whsec_test_0123456789abcdef";
    public const string ApiKey = "sk_test_standin";

    /// <summary>Stripe's API, stood in for on loopback.</summary>
    public StripeStandIn Stripe { get; } = StripeStandIn.Start();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Billing:Provider", "Stripe"),
        new("Billing:Stripe:WebhookSecret", Secret),
        new("Billing:Stripe:SecretKey", ApiKey),
        new("Billing:Stripe:ApiBase", Stripe.BaseUrl),
        new("App:PublicUrl", "https://coditect.example.com"),
        new("Billing:Stripe:Prices:pro", "price_pro"),
        new("Billing:Stripe:Prices:enterprise", "price_enterprise"),
        new("Billing:ProductLicense:Name", "Coditect Pro"),
    ];
}

public sealed class StripeSqliteApp : StripeApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class StripePostgresApp : StripeApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

public abstract class StripeWebhookTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : StripeApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public void A_signature_is_checked_as_Stripe_documents_it()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        const string body = "{\"id\":\"evt_1\"}";
        // Computed independently: printf '1700000000.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_x
        var header = StripeSignature.Sign(body, "whsec_x", 1_700_000_000);
        header.ShouldStartWith("t=1700000000,v1=");
        StripeSignature.Verify(body, header, "whsec_x", now, TimeSpan.FromMinutes(5)).ShouldBeTrue();
        StripeSignature.Verify(body, "t=1700000000,v1=00,v1=" + header[16..], "whsec_x", now, TimeSpan.FromMinutes(5)).ShouldBeTrue(); // rolled secrets
        StripeSignature.Verify(body + " ", header, "whsec_x", now, TimeSpan.FromMinutes(5)).ShouldBeFalse();
        StripeSignature.Verify(body, header, "whsec_y", now, TimeSpan.FromMinutes(5)).ShouldBeFalse();
        StripeSignature.Verify(body, header, "whsec_x", now.AddSeconds(301), TimeSpan.FromMinutes(5)).ShouldBeFalse();
        StripeSignature.Verify(body, header, "whsec_x", now.AddSeconds(-301), TimeSpan.FromMinutes(5)).ShouldBeFalse();
        StripeSignature.Verify(body, "v1=" + header[16..], "whsec_x", now, TimeSpan.FromMinutes(5)).ShouldBeFalse();
        StripeSignature.Verify(body, null, "whsec_x", now, TimeSpan.FromMinutes(5)).ShouldBeFalse();
    }

    [Fact]
    public async Task A_bad_missing_or_old_signature_is_400_and_changes_nothing()
    {
        var owner = await _anonymous.RegisterAsync();
        var events = new StripeLife(owner.OrgId, app.Clock.GetUtcNow().UtcDateTime);
        var checkout = events.Checkout();

        await (await PostAsync(checkout, signature: null)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        await (await PostAsync(checkout, signature: StripeSignature.Sign(checkout, "whsec_other", Unix(app.Clock.GetUtcNow()))))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        await (await PostAsync(checkout, signature: StripeSignature.Sign(checkout, StripeApp.Secret, Unix(app.Clock.GetUtcNow()) - 301)))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        var tampered = checkout.Replace("\"pro\"", "\"enterprise\"", StringComparison.Ordinal);
        await (await PostAsync(tampered, signature: StripeSignature.Sign(checkout, StripeApp.Secret, Unix(app.Clock.GetUtcNow()))))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);

        var billing = await owner.Client.GetJsonAsync<BillingResponse>($"{owner.OrgPath}/billing");
        billing.Status.ShouldBe(SubscriptionStatuses.None);
        billing.Plan.ShouldBe("free");
        (await AnswerAsync(checkout)).ShouldBe("applied");
    }

    [Fact]
    public async Task A_life_in_order_then_replayed_shuffled_and_twice_gives_the_same_state()
    {
        var owner = await _anonymous.RegisterAsync();
        var start = app.Clock.GetUtcNow().UtcDateTime;
        var life = new StripeLife(owner.OrgId, start);

        (await AnswerAsync(life.Checkout())).ShouldBe("applied");
        var afterCheckout = await BillingOf(owner);
        afterCheckout.Plan.ShouldBe("pro");
        afterCheckout.Status.ShouldBe(SubscriptionStatuses.Active);
        afterCheckout.Seats.ShouldBe(3);

        (await AnswerAsync(life.Subscription("created", "active", quantity: 3, periodEnd: start.AddDays(30)))).ShouldBe("applied");
        (await AnswerAsync(life.Invoice("paid", start.AddDays(30)))).ShouldBe("applied");
        var first = await BillingOf(owner);
        first.PeriodEnd.ShouldBe(Seconds(start.AddDays(30)));
        var product = await LicenseOf(owner, first);
        product.SeatsTotal.ShouldBe(3);
        product.ExpiresAt.ShouldBe(Seconds(start.AddDays(30)));

        // Renewal: the period and the licence's expiry move on.
        (await AnswerAsync(life.Invoice("paid", start.AddDays(60)))).ShouldBe("applied");
        (await LicenseOf(owner, first)).ExpiresAt.ShouldBe(Seconds(start.AddDays(60)));

        // A failed payment: past due (within the grace the licence stays active), then paid again.
        (await AnswerAsync(life.Invoice("payment_failed", start.AddDays(90)))).ShouldBe("applied");
        (await AnswerAsync(life.Subscription("updated", "past_due", quantity: 3, periodEnd: start.AddDays(60)))).ShouldBe("applied");
        (await BillingOf(owner)).Status.ShouldBe(SubscriptionStatuses.PastDue);
        (await LicenseOf(owner, first)).Status.ShouldBe(LicenseStatuses.Active);
        (await AnswerAsync(life.Invoice("paid", start.AddDays(90)))).ShouldBe("applied");
        (await AnswerAsync(life.Subscription("updated", "active", quantity: 5, periodEnd: start.AddDays(90), cancelAtPeriodEnd: true))).ShouldBe("applied");
        var canceling = await BillingOf(owner);
        canceling.CancelAtPeriodEnd.ShouldBeTrue();
        canceling.Plan.ShouldBe("pro"); // access lasts to the period's end
        (await LicenseOf(owner, first)).SeatsTotal.ShouldBe(5);

        (await AnswerAsync(life.Subscription("deleted", "canceled", quantity: 5, periodEnd: start.AddDays(90)))).ShouldBe("applied");
        var end = await BillingOf(owner);
        end.Plan.ShouldBe("free");
        end.Status.ShouldBe(SubscriptionStatuses.Canceled);
        (await LicenseOf(owner, first)).Status.ShouldBe(LicenseStatuses.Expired);

        // The same life in another organization, shuffled, each event twice: the same end state.
        var other = await _anonymous.RegisterAsync();
        var replay = new StripeLife(other.OrgId, start);
        replay.Checkout();
        replay.Subscription("created", "active", quantity: 3, periodEnd: start.AddDays(30));
        replay.Invoice("paid", start.AddDays(30));
        replay.Invoice("paid", start.AddDays(60));
        replay.Invoice("payment_failed", start.AddDays(90));
        replay.Subscription("updated", "past_due", quantity: 3, periodEnd: start.AddDays(60));
        replay.Invoice("paid", start.AddDays(90));
        replay.Subscription("updated", "active", quantity: 5, periodEnd: start.AddDays(90), cancelAtPeriodEnd: true);
        replay.Subscription("deleted", "canceled", quantity: 5, periodEnd: start.AddDays(90));
        var all = replay.All();
        all.Count.ShouldBe(9);
        var shuffled = all.Concat(all).OrderBy(_ => Random.Shared.Next()).ToList();
        var answers = new List<string>();
        foreach (var body in shuffled)
        {
            answers.Add(await AnswerAsync(body));
        }

        answers.Count(a => a == "applied").ShouldBe(all.Count);
        answers.Count(a => a == "duplicate").ShouldBe(all.Count);
        var replayed = await BillingOf(other);
        replayed.ShouldBe(end with { ProductLicenseId = replayed.ProductLicenseId, UpdatedAt = replayed.UpdatedAt });
        if (replayed.ProductLicenseId is not null)
        {
            // Made if an event that includes it came before the deletion; either way no usable licence is left.
            (await LicenseOf(other, replayed)).Status.ShouldBe(LicenseStatuses.Expired);
        }
    }

    [Fact]
    public async Task Cancel_asks_Stripe_to_end_the_subscription_at_the_period_end_and_access_lasts_until_then()
    {
        var owner = await _anonymous.RegisterAsync();
        await (await owner.Client.PostAsync($"{owner.OrgPath}/billing/cancel")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSubscription);
        var start = app.Clock.GetUtcNow().UtcDateTime;
        var life = new StripeLife(owner.OrgId, start);
        (await AnswerAsync(life.Checkout())).ShouldBe("applied");
        (await AnswerAsync(life.Subscription("created", "active", quantity: 2, periodEnd: start.AddDays(30)))).ShouldBe("applied");

        var canceled = await (await owner.Client.PostAsync($"{owner.OrgPath}/billing/cancel")).ReadAsync<BillingResponse>(HttpStatusCode.OK);

        canceled.CancelAtPeriodEnd.ShouldBeTrue();
        canceled.Plan.ShouldBe("pro");
        var request = app.Stripe.To($"/v1/subscriptions/{life.SubscriptionId}").ShouldHaveSingleItem();
        request.Form["cancel_at_period_end"].ShouldBe("true");
        request.IdempotencyKey.ShouldBe($"cancel-{life.SubscriptionId}");
        (await LicenseOf(owner, canceled)).Status.ShouldBe(LicenseStatuses.Active);
    }

    [Fact]
    public async Task Past_due_beyond_the_grace_suspends_the_product_licence_and_a_payment_reinstates_it()
    {
        var owner = await _anonymous.RegisterAsync();
        var start = app.Clock.GetUtcNow().UtcDateTime;
        var life = new StripeLife(owner.OrgId, start);
        (await AnswerAsync(life.Checkout())).ShouldBe("applied");
        (await AnswerAsync(life.Subscription("created", "active", quantity: 2, periodEnd: start.AddDays(30)))).ShouldBe("applied");
        var billing = await BillingOf(owner);
        (await AnswerAsync(life.Invoice("payment_failed", start.AddDays(60)))).ShouldBe("applied");
        var grace = app.Services.GetRequiredService<BillingGrace>();

        await grace.SweepOnceAsync(CancellationToken.None);
        (await LicenseOf(owner, billing)).Status.ShouldBe(LicenseStatuses.Active); // within the grace

        app.Clock.Advance(TimeSpan.FromDays(8));
        await grace.SweepOnceAsync(CancellationToken.None);
        var again = await SignInAsync(owner);
        (await LicenseOf(again, billing)).Status.ShouldBe(LicenseStatuses.Suspended);

        (await AnswerAsync(life.Invoice("paid", start.AddDays(60)))).ShouldBe("applied");
        (await LicenseOf(again, billing)).Status.ShouldBe(LicenseStatuses.Active);
    }

    private async Task<Caller> SignInAsync(Caller caller)
    {
        var tokens = await (await _anonymous.PostAsync("/api/v1/auth/login", new Contracts.Identity.LoginRequest(caller.Email, caller.Password)))
            .ReadAsync<Contracts.Identity.TokenResponse>(HttpStatusCode.OK);
        return caller with { Client = _anonymous.WithBearer(tokens.AccessToken), Tokens = tokens with { Organization = caller.Tokens.Organization } };
    }

    [Fact]
    public async Task One_event_received_twice_at_the_same_time_is_applied_once()
    {
        var owner = await _anonymous.RegisterAsync();
        var life = new StripeLife(owner.OrgId, app.Clock.GetUtcNow().UtcDateTime);
        var checkout = life.Checkout();

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => AnswerAsync(checkout)));

        answers.Count(a => a == "applied").ShouldBe(1);
        answers.Count(a => a == "duplicate").ShouldBe(7);
    }

    private async Task<BillingResponse> BillingOf(Caller caller) => await caller.Client.GetJsonAsync<BillingResponse>($"{caller.OrgPath}/billing");

    private static Task<LicenseResponse> LicenseOf(Caller caller, BillingResponse billing) =>
        caller.Client.GetJsonAsync<LicenseResponse>($"{caller.OrgPath}/licenses/{billing.ProductLicenseId}");

    private async Task<string> AnswerAsync(string body)
    {
        var response = await PostAsync(body, StripeSignature.Sign(body, StripeApp.Secret, Unix(app.Clock.GetUtcNow())));
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("result").GetString()!;
    }

    private Task<HttpResponseMessage> PostAsync(string body, string? signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/billing/stripe/webhook") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        }

        return _anonymous.Http.SendAsync(request);
    }

    private static long Unix(DateTimeOffset time) => time.ToUnixTimeSeconds();

    private static DateTime Seconds(DateTime time) => DateTimeOffset.FromUnixTimeSeconds(new DateTimeOffset(time).ToUnixTimeSeconds()).UtcDateTime;
}

public sealed class StripeWebhookTestsOnSqlite(StripeSqliteApp app) : StripeWebhookTests<StripeSqliteApp>(app);

public sealed class StripeWebhookTestsOnPostgres(StripePostgresApp app) : StripeWebhookTests<StripePostgresApp>(app);

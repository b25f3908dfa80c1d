using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.Identity;
using Coditect.Server.Data;
using Coditect.Server.Notifications.Email;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Billing;

/// <summary>A Stripe server whose mail goes to a real SMTP server on loopback.</summary>
public abstract class StripeMailApp : StripeApp
{
    public SmtpCatcher Smtp { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        .. base.Settings,
        new("Billing:DefaultPlan", "free"),
        new("Email:Smtp:Host", "127.0.0.1"),
        new("Email:Smtp:Port", Smtp.Port.ToString(CultureInfo.InvariantCulture)),
        new("Email:Smtp:Security", "none"),
        new("Email:From", "CODITECT <noreply@coditect.test>"),
        new("Email:PollMilliseconds", "100"),
    ];

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Smtp.Dispose();
    }
}

public sealed class StripeMailSqliteApp : StripeMailApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class StripeMailPostgresApp : StripeMailApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

/// <summary>The billing page with Stripe: each state as webhooks leave it, checkout and the portal; the billing mails.</summary>
public abstract class StripeBillingPageTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : StripeMailApp
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task The_page_shows_each_state_the_webhooks_leave_and_sends_the_owner_to_Stripe()
    {
        var owner = await _anonymous.RegisterAsync();
        var browser = app.Browser();
        (await browser.SignInAsync(owner.Email, owner.Password)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var page = $"/orgs/{owner.OrgSlug}/billing";
        var start = app.Clock.GetUtcNow().UtcDateTime;
        var life = new StripeLife(owner.OrgId, start);

        var none = await BillingPageTests<BillingSqliteApp>.HtmlAsync(browser, page);
        none.ShouldContain("handler=Checkout");
        none.ShouldNotContain("handler=Portal"); // no Stripe customer yet
        none.ShouldContain("<option value=\"pro\"");
        using (var checkout = await browser.PostFormAsync(page, new Dictionary<string, string> { ["plan"] = "pro", ["seats"] = "4" }, page + "?handler=Checkout"))
        {
            checkout.StatusCode.ShouldBe(HttpStatusCode.Redirect, await checkout.Content.ReadAsStringAsync());
            checkout.Headers.Location!.OriginalString.ShouldStartWith("https://checkout.stripe.com/c/pay/cs_test_");
        }

        var session = app.Stripe.To("/v1/checkout/sessions").Last(r => r.Form.GetValueOrDefault("client_reference_id") == owner.OrgId.ToString());
        session.Form["line_items[0][quantity]"].ShouldBe("4");
        using (var bad = await browser.PostFormAsync(page, new Dictionary<string, string> { ["plan"] = "pro", ["seats"] = "0" }, page + "?handler=Checkout"))
        {
            bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await bad.Content.ReadAsStringAsync()).ShouldContain("must be from 1");
        }

        (await app.PostStripeEventAsync(life.Checkout())).ShouldBe("applied");
        (await app.PostStripeEventAsync(life.Subscription("created", "active", quantity: 3, periodEnd: start.AddDays(30)))).ShouldBe("applied");
        var active = await BillingPageTests<BillingSqliteApp>.HtmlAsync(browser, page);
        active.ShouldContain("<dd id=\"plan-now\">pro</dd>");
        active.ShouldContain("current period ends on " + Day(start.AddDays(30)));
        active.ShouldContain("handler=Portal");
        using (var portal = await browser.PostFormAsync(page, new Dictionary<string, string>(), page + "?handler=Portal"))
        {
            portal.StatusCode.ShouldBe(HttpStatusCode.Redirect);
            portal.Headers.Location!.OriginalString.ShouldStartWith("https://billing.stripe.com/p/session/");
        }

        (await app.PostStripeEventAsync(life.Invoice("payment_failed", start.AddDays(60)))).ShouldBe("applied");
        (await app.PostStripeEventAsync(life.Subscription("updated", "past_due", quantity: 3, periodEnd: start.AddDays(30)))).ShouldBe("applied");
        var failedAt = start.AddMinutes(3); // the failed payment's event (Stripe's created)
        (await BillingPageTests<BillingSqliteApp>.HtmlAsync(browser, page)).ShouldContain("payment failed; access until " + Day(failedAt.AddDays(7)));

        (await app.PostStripeEventAsync(life.Invoice("paid", start.AddDays(60)))).ShouldBe("applied");
        (await app.PostStripeEventAsync(life.Subscription("updated", "active", quantity: 3, periodEnd: start.AddDays(60), cancelAtPeriodEnd: true))).ShouldBe("applied");
        var cancelling = await BillingPageTests<BillingSqliteApp>.HtmlAsync(browser, page);
        cancelling.ShouldContain("cancelling");
        cancelling.ShouldContain("cancelled: access until " + Day(start.AddDays(60)));

        var trialing = await _anonymous.RegisterAsync();
        await (await trialing.Client.PostAsync($"{trialing.OrgPath}/billing/trial")).ReadAsync<Contracts.Billing.BillingResponse>(HttpStatusCode.OK);
        app.Clock.Advance(TimeSpan.FromDays(10.5));
        var trialBrowser = app.Browser();
        (await trialBrowser.SignInAsync(trialing.Email, trialing.Password)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var trial = await BillingPageTests<BillingSqliteApp>.HtmlAsync(trialBrowser, $"/orgs/{trialing.OrgSlug}/billing");
        trial.ShouldContain("4 days left");
    }

    [Fact]
    public async Task Trial_ending_and_failed_payment_mail_owners_and_admins_once_per_event_and_only_the_trial_mail_can_be_muted()
    {
        var owner = await _anonymous.RegisterAsync();
        var admin = await owner.AddMemberAsync("admin");
        var member = await owner.AddMemberAsync("member"); // the free plan's three members
        (await owner.Client.Http.PutAsJsonAsync("/api/v1/me/email-preferences", new UpdateEmailPreferencesRequest([MailKinds.TrialEnding]), Client.Json))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        var refused = await admin.Client.Http.PutAsJsonAsync("/api/v1/me/email-preferences", new UpdateEmailPreferencesRequest([MailKinds.PaymentFailed]), Client.Json);
        await refused.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        var start = app.Clock.GetUtcNow().UtcDateTime;
        var life = new StripeLife(owner.OrgId, start);
        (await app.PostStripeEventAsync(life.Checkout())).ShouldBe("applied");
        (await app.PostStripeEventAsync(life.Subscription("created", "trialing", quantity: 2, periodEnd: start.AddDays(14)))).ShouldBe("applied");

        var trialEnd = start.AddDays(14);
        var willEnd = life.TrialWillEnd(trialEnd);
        (await app.PostStripeEventAsync(willEnd)).ShouldBe("applied");
        var failed = life.Invoice("payment_failed", start.AddDays(44));
        (await app.PostStripeEventAsync(failed)).ShouldBe("applied");
        (await app.PostStripeEventAsync(willEnd)).ShouldBe("duplicate");
        (await app.PostStripeEventAsync(failed)).ShouldBe("duplicate");

        await Eventually.ShouldHoldAsync(() => BillingMail(owner).Count >= 1 && BillingMail(admin).Count >= 2, Within, "the billing mail");
        var trialMail = BillingMail(admin).Single(m => m.Headers["X-Coditect-Kind"] == MailKinds.TrialEnding);
        trialMail.Subject!.ShouldContain("ends on " + Day(trialEnd));
        trialMail.TextBody!.ShouldContain($"https://coditect.example.com/orgs/{owner.OrgSlug}/billing");
        var failedMail = BillingMail(owner).ShouldHaveSingleItem(); // the owner muted the trial's mail, not this one
        failedMail.Headers["X-Coditect-Kind"].ShouldBe(MailKinds.PaymentFailed);
        failedMail.Subject!.ShouldContain("Payment failed");
        failedMail.Subject!.ShouldContain("access until " + Day(start.AddMinutes(4).AddDays(7))); // the failure's created + 7 days' grace
        BillingMail(admin).Select(m => m.Headers["X-Coditect-Kind"]).ShouldBe([MailKinds.TrialEnding, MailKinds.PaymentFailed], ignoreOrder: true);
        BillingMail(member).ShouldBeEmpty();

        await using var scope = app.Services.CreateAsyncScope();
        var queued = await scope.ServiceProvider.GetRequiredService<CoditectDbContext>().Set<OutgoingMail>().AsNoTracking()
            .Where(m => m.ToAddress == owner.Email || m.ToAddress == admin.Email || m.ToAddress == member.Email)
            .Where(m => m.Kind == MailKinds.TrialEnding || m.Kind == MailKinds.PaymentFailed).CountAsync();
        queued.ShouldBe(3, "once per event and recipient, though each event came twice");
    }

    /// <summary>The billing mail <paramref name="person"/> received (not their sign-up's).</summary>
    private List<MimeKit.MimeMessage> BillingMail(Caller person) =>
        [.. app.Smtp.To(person.Email).Where(m => m.Headers["X-Coditect-Kind"] is MailKinds.TrialEnding or MailKinds.PaymentFailed)];

    private static string Day(DateTime at) => at.ToString("d MMMM yyyy", CultureInfo.InvariantCulture);
}

public sealed class StripeBillingPageTestsOnSqlite(StripeMailSqliteApp app) : StripeBillingPageTests<StripeMailSqliteApp>(app);

public sealed class StripeBillingPageTestsOnPostgres(StripeMailPostgresApp app) : StripeBillingPageTests<StripeMailPostgresApp>(app);

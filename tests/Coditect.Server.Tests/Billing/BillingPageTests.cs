using System.Net;
using Coditect.Contracts.Audit;
using Coditect.Contracts.Billing;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Data;
using Coditect.Server.Platform.Outbox;
using Coditect.Server.Tenancy;
using Coditect.Server.Tests.Infrastructure;
using Coditect.Server.Tests.Licensing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Billing;

/// <summary>The billing page with manual billing (the free plan by default), and the product licence's key rotation.</summary>
public abstract class BillingPageTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : BillingApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task The_owner_sees_the_plan_and_usage_bars_and_starts_the_trial_once_with_its_key_shown_once()
    {
        var owner = await _anonymous.RegisterAsync();
        var browser = await ConsoleOfAsync(owner);
        var page = $"/orgs/{owner.OrgSlug}/billing";

        var before = await HtmlAsync(browser, page);
        before.ShouldContain($"href=\"{page}\"", Case.Sensitive, "the organization's navigation links the page");
        before.ShouldContain("<dd id=\"plan-now\">free</dd>");
        before.ShouldContain("default plan");
        before.ShouldContain("<tr id=\"quota-members\">");
        before.ShouldContain("min=\"0\" max=\"3\""); // members: 1 of 3, a bar
        before.ShouldContain("id=\"manual-note\""); // manual billing: staff set the plan, no checkout
        before.ShouldNotContain("handler=Checkout");
        before.ShouldContain("handler=Trial");

        using var started = await browser.PostFormAsync(page, new Dictionary<string, string>(), action: page + "?handler=Trial");
        started.StatusCode.ShouldBe(HttpStatusCode.Redirect, await started.Content.ReadAsStringAsync());
        started.Headers.Location!.OriginalString.ShouldBe(page);

        var after = await HtmlAsync(browser, page);
        after.ShouldContain("<dd id=\"plan-now\">pro</dd>");
        after.ShouldContain("14 days left");
        var key = System.Text.RegularExpressions.Regex.Match(after, "<code id=\"product-key\">([^<]+)</code>").Groups[1].Value;
        key.ShouldNotBeEmpty("the new product licence's key, once");
        after.ShouldNotContain("handler=Trial"); // the one trial is used
        (await _anonymous.AcquireAsync(key, "machine-1")).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await HtmlAsync(browser, page)).ShouldNotContain(key);

        using var again = await browser.PostFormAsync(page, new Dictionary<string, string>(), action: page + "?handler=Trial");
        again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await again.Content.ReadAsStringAsync()).ShouldContain("id=\"billing-refused\"");
    }

    [Fact]
    public async Task Admins_read_without_actions_members_are_refused_and_another_organization_is_not_found()
    {
        var owner = await _anonymous.RegisterAsync();
        var admin = await owner.AddMemberAsync("admin");
        var member = await owner.AddMemberAsync("member");
        var stranger = await _anonymous.RegisterAsync();
        var page = $"/orgs/{owner.OrgSlug}/billing";

        var adminConsole = await ConsoleOfAsync(admin);
        var adminView = await HtmlAsync(adminConsole, page);
        adminView.ShouldContain("<dd id=\"plan-now\">free</dd>");
        adminView.ShouldNotContain("handler=Trial");
        using var forged = await adminConsole.PostFormAsync(page, new Dictionary<string, string>(), action: page + "?handler=Trial");
        forged.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await owner.Client.GetJsonAsync<BillingResponse>($"{owner.OrgPath}/billing")).TrialUsed.ShouldBeFalse();

        var memberConsole = await ConsoleOfAsync(member);
        (await memberConsole.Http.GetAsync(page)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await HtmlAsync(memberConsole, $"/orgs/{owner.OrgSlug}")).ShouldNotContain($"href=\"{page}\"");

        var strangerConsole = await ConsoleOfAsync(stranger);
        (await strangerConsole.Http.GetAsync(page)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_unlimited_quota_shows_as_unlimited()
    {
        var owner = await _anonymous.RegisterAsync();
        var staff = await _anonymous.RegisterStaffAsync();
        await staff.SetPlanOkAsync(owner.OrgId, "enterprise", app.Clock.GetUtcNow().UtcDateTime.AddDays(30), seats: 2);

        var html = await HtmlAsync(await ConsoleOfAsync(owner), $"/orgs/{owner.OrgSlug}/billing");

        html.ShouldContain("<dd id=\"plan-now\">enterprise</dd>");
        html.ShouldContain("current period ends on");
        System.Text.RegularExpressions.Regex.Count(html, "<td class=\"limit\">unlimited</td>").ShouldBe(6); // all but the request quota
        html.ShouldContain("100,000"); // the enterprise request quota has a limit
    }

    [Fact]
    public async Task Rotating_the_product_key_answers_the_new_key_once_and_the_old_one_stops_working()
    {
        var owner = await _anonymous.RegisterAsync();
        var path = $"{owner.OrgPath}/billing/product-license/rotate-key";
        await (await owner.Client.PostAsync(path)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.LicenseNotFound);
        var trial = await (await owner.Client.PostAsync($"{owner.OrgPath}/billing/trial")).ReadAsync<BillingResponse>(HttpStatusCode.OK);
        var oldKey = trial.ProductLicenseKey!;
        (await _anonymous.AcquireAsync(oldKey, "machine-1")).StatusCode.ShouldBe(HttpStatusCode.Created);
        var admin = await owner.AddMemberAsync("admin");
        (await admin.Client.PostAsync(path)).StatusCode.ShouldBe(HttpStatusCode.Forbidden); // owners only

        var rotated = await (await owner.Client.PostAsync(path)).ReadAsync<LicenseResponse>(HttpStatusCode.OK);

        rotated.Id.ShouldBe(trial.ProductLicenseId!.Value);
        rotated.LicenseKey.ShouldNotBeNull();
        rotated.LicenseKey.ShouldNotBe(oldKey);
        await (await _anonymous.AcquireAsync(oldKey, "machine-2")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.LicenseNotFound);
        (await _anonymous.AcquireAsync(rotated.LicenseKey!, "machine-2")).StatusCode.ShouldBe(HttpStatusCode.Created);
        var read = await owner.Client.GetJsonAsync<LicenseResponse>($"{owner.OrgPath}/licenses/{rotated.Id}");
        read.LicenseKey.ShouldBeNull();
        read.KeyPreview.ShouldBe(rotated.KeyPreview);

        var audit = await owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{owner.OrgPath}/audit-events?action=license.updated");
        var entry = audit.Items.ShouldHaveSingleItem();
        entry.ObjectId.ShouldBe(rotated.Id.ToString());
        entry.Changes.Keys.ShouldBe(["key_preview"]);
        var events = await OutboxAsync(owner.OrgId);
        events.Count(e => e.Type == "license.updated"
            && System.Text.Json.JsonDocument.Parse(e.Data).RootElement.GetProperty("key_preview").GetString() == rotated.KeyPreview).ShouldBe(1);
        events.ShouldAllBe(e => !e.Data.Contains(rotated.LicenseKey!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_owner_rotates_the_key_from_the_page_and_sees_it_once()
    {
        var owner = await _anonymous.RegisterAsync();
        var trial = await (await owner.Client.PostAsync($"{owner.OrgPath}/billing/trial")).ReadAsync<BillingResponse>(HttpStatusCode.OK);
        var browser = await ConsoleOfAsync(owner);
        var page = $"/orgs/{owner.OrgSlug}/billing";

        using var posted = await browser.PostFormAsync(page, new Dictionary<string, string>(), action: page + "?handler=RotateKey");
        posted.StatusCode.ShouldBe(HttpStatusCode.Redirect, await posted.Content.ReadAsStringAsync());
        var html = await HtmlAsync(browser, page);
        var key = System.Text.RegularExpressions.Regex.Match(html, "<code id=\"product-key\">([^<]+)</code>").Groups[1].Value;

        key.ShouldNotBeEmpty();
        key.ShouldNotBe(trial.ProductLicenseKey);
        (await _anonymous.AcquireAsync(key, "machine-1")).StatusCode.ShouldBe(HttpStatusCode.Created);
        await (await _anonymous.AcquireAsync(trial.ProductLicenseKey!, "machine-2")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.LicenseNotFound);
    }

    private async Task<ConsoleBrowser> ConsoleOfAsync(Caller caller)
    {
        var browser = app.Browser();
        using var signedIn = await browser.SignInAsync(caller.Email, caller.Password);
        signedIn.StatusCode.ShouldBe(HttpStatusCode.Redirect, await signedIn.Content.ReadAsStringAsync());
        return browser;
    }

    internal static async Task<string> HtmlAsync(ConsoleBrowser browser, string path)
    {
        using var response = await browser.Http.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        return html;
    }

    private async Task<List<OutboxEvent>> OutboxAsync(Guid organizationId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var tenant = scope.ServiceProvider.GetRequiredService<TenantScope>();
        await tenant.EnterAsync(organizationId, CancellationToken.None);
        var events = await scope.ServiceProvider.GetRequiredService<CoditectDbContext>().Set<OutboxEvent>().AsNoTracking().ToListAsync();
        await tenant.CommitAsync(CancellationToken.None);
        return events;
    }
}

public sealed class BillingPageTestsOnSqlite(BillingSqliteApp app) : BillingPageTests<BillingSqliteApp>(app);

public sealed class BillingPageTestsOnPostgres(BillingPostgresApp app) : BillingPageTests<BillingPostgresApp>(app);

using System.Net;
using Coditect.Contracts.Billing;
using Coditect.Contracts.Common;
using Coditect.Contracts.Identity;
using Coditect.Contracts.Licensing;
using Coditect.Server.Billing;
using Coditect.Server.Tests.Infrastructure;
using Coditect.Server.Tests.Licensing;

namespace Coditect.Server.Tests.Billing;

public abstract class TrialTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : BillingApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task A_trial_gives_the_pro_plan_and_a_managed_product_licence_once_ever()
    {
        var owner = await _anonymous.RegisterAsync();
        var now = app.Clock.GetUtcNow().UtcDateTime;

        var trial = await (await owner.Client.PostAsync($"{owner.OrgPath}/billing/trial")).ReadAsync<BillingResponse>(HttpStatusCode.OK);

        trial.Plan.ShouldBe("pro");
        trial.Status.ShouldBe(SubscriptionStatuses.Trialing);
        trial.TrialUsed.ShouldBeTrue();
        trial.TrialEndsAt!.Value.ShouldBe(now.AddDays(14), TimeSpan.FromMinutes(1));
        trial.ProductLicenseKey.ShouldNotBeNull();
        var product = await owner.Client.GetJsonAsync<LicenseResponse>($"{owner.OrgPath}/licenses/{trial.ProductLicenseId}");
        product.ManagedBy.ShouldBe(LicenseOwners.Billing);
        product.Name.ShouldBe("Coditect Pro");
        product.SeatsTotal.ShouldBe(5);
        product.ExpiresAt.ShouldBe(trial.TrialEndsAt);
        (await owner.UsageAsync()).Quota("licenses").Used.ShouldBe(0); // the product licence is not the organization's own

        await (await owner.Client.PostAsync($"{owner.OrgPath}/billing/trial")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.TrialAlreadyUsed);
        (await owner.Client.GetJsonAsync<BillingResponse>($"{owner.OrgPath}/billing")).ProductLicenseKey.ShouldBeNull();
    }

    [Fact]
    public async Task The_product_licence_answers_409_to_every_tenant_change()
    {
        var owner = await _anonymous.RegisterAsync();
        var trial = await (await owner.Client.PostAsync($"{owner.OrgPath}/billing/trial")).ReadAsync<BillingResponse>(HttpStatusCode.OK);
        var path = $"{owner.OrgPath}/licenses/{trial.ProductLicenseId}";

        await (await owner.Client.PatchAsync(path, new { seats_total = 6 })).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.LicenseManaged);
        await (await owner.Client.PatchAsync(path, new { name = "mine" })).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.LicenseManaged);
        await (await owner.Client.PostAsync($"{path}/suspend")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.LicenseManaged);
        await (await owner.Client.PostAsync($"{path}/reinstate")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.LicenseManaged);
        await (await owner.Client.PostAsync($"{path}/renew", new RenewLicenseRequest(DateTime.UtcNow.AddYears(1))))
            .ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.LicenseManaged);
        await (await owner.Client.DeleteAsync(path)).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.LicenseManaged);
        var product = await owner.Client.GetJsonAsync<LicenseResponse>(path);
        product.SeatsTotal.ShouldBe(5);
        product.Status.ShouldBe(LicenseStatuses.Active);
    }

    [Fact]
    public async Task After_the_trial_the_plan_falls_back_and_the_product_licence_has_expired()
    {
        var owner = await _anonymous.RegisterAsync();
        var trial = await (await owner.Client.PostAsync($"{owner.OrgPath}/billing/trial")).ReadAsync<BillingResponse>(HttpStatusCode.OK);
        var key = trial.ProductLicenseKey!;
        (await _anonymous.AcquireAsync(key, "machine-1")).StatusCode.ShouldBe(HttpStatusCode.Created);

        app.Clock.Advance(TimeSpan.FromDays(15));
        var again = await SignInAsync(owner);

        var usage = await again.UsageAsync();
        usage.Plan.ShouldBe("free");
        (await again.Client.GetJsonAsync<LicenseResponse>($"{again.OrgPath}/licenses/{trial.ProductLicenseId}")).Status.ShouldBe(LicenseStatuses.Expired);
        var billing = await again.Client.GetJsonAsync<BillingResponse>($"{again.OrgPath}/billing");
        billing.SubscribedPlan.ShouldBe("pro");
        billing.Plan.ShouldBe("free");
        await (await again.Client.PostAsync($"{again.OrgPath}/billing/trial")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.TrialAlreadyUsed);
    }

    [Fact]
    public async Task Staff_setting_a_product_plan_resizes_the_licence_and_a_plan_without_it_expires_it()
    {
        var owner = await _anonymous.RegisterAsync();
        var staff = await _anonymous.RegisterStaffAsync();
        var end = app.Clock.GetUtcNow().UtcDateTime.AddDays(30);

        var pro = await staff.SetPlanOkAsync(owner.OrgId, "pro", end, seats: 20);
        pro.ProductLicenseKey.ShouldNotBeNull();
        var product = await owner.Client.GetJsonAsync<LicenseResponse>($"{owner.OrgPath}/licenses/{pro.ProductLicenseId}");
        product.SeatsTotal.ShouldBe(20);
        product.ExpiresAt!.Value.ShouldBe(end, TimeSpan.FromSeconds(1));

        var bigger = await staff.SetPlanOkAsync(owner.OrgId, "enterprise", null, seats: 40);
        bigger.ProductLicenseId.ShouldBe(pro.ProductLicenseId);
        bigger.ProductLicenseKey.ShouldBeNull();
        product = await owner.Client.GetJsonAsync<LicenseResponse>($"{owner.OrgPath}/licenses/{pro.ProductLicenseId}");
        product.SeatsTotal.ShouldBe(40);
        product.ExpiresAt.ShouldBeNull();

        await staff.SetPlanOkAsync(owner.OrgId, "free");
        (await owner.Client.GetJsonAsync<LicenseResponse>($"{owner.OrgPath}/licenses/{pro.ProductLicenseId}")).Status.ShouldBe(LicenseStatuses.Expired);
    }

    [Theory]
    [InlineData(null, null, "free")]
    [InlineData("pro", null, "pro")]
    [InlineData("pro", 1, "pro")]
    [InlineData("pro", -1, "free")]
    public void The_plan_in_force_is_the_subscribed_one_within_its_period(string? plan, int? endsInDays, string expected)
    {
        var now = new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);
        var account = new BillingAccount { Plan = plan, Status = plan is null ? SubscriptionStatuses.None : SubscriptionStatuses.Active,
            PeriodEnd = endsInDays is { } days ? now.AddDays(days) : null };
        BillingAccount.PlanAt(account, now, "free").ShouldBe(expected);
    }

    private async Task<Caller> SignInAsync(Caller caller)
    {
        var tokens = await (await _anonymous.PostAsync("/api/v1/auth/login", new LoginRequest(caller.Email, caller.Password)))
            .ReadAsync<TokenResponse>(HttpStatusCode.OK);
        return caller with { Client = _anonymous.WithBearer(tokens.AccessToken), Tokens = tokens with { Organization = caller.Tokens.Organization } };
    }
}

public sealed class TrialTestsOnSqlite(BillingSqliteApp app) : TrialTests<BillingSqliteApp>(app);

public sealed class TrialTestsOnPostgres(BillingPostgresApp app) : TrialTests<BillingPostgresApp>(app);

using System.Net;
using Coditect.Contracts.Audit;
using Coditect.Contracts.Billing;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Contracts.Licensing;
using Coditect.Contracts.Organizations;
using Coditect.Server.Tests.DevContext;
using Coditect.Server.Tests.Infrastructure;
using Coditect.Server.Tests.Licensing;

namespace Coditect.Server.Tests.Billing;

public abstract class QuotaTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : BillingApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task Usage_shows_the_default_plan_and_every_quotas_use_and_limit()
    {
        var owner = await _anonymous.RegisterAsync();
        await owner.CreateProjectAsync();
        await owner.InviteAsync($"x-{Guid.NewGuid():N}@example.com", "member");

        var usage = await owner.UsageAsync();

        usage.Plan.ShouldBe("free");
        usage.Quotas.Select(q => q.Quota).ShouldBe([
            QuotaNames.Members, QuotaNames.Licenses, QuotaNames.SeatsPerLicense, QuotaNames.Projects,
            QuotaNames.Messages, QuotaNames.MessageBytes, QuotaNames.ApiRequestsPerHour]);
        usage.Quota("members").ShouldBe(new QuotaUsage("members", 2, 3)); // the owner and a pending invitation
        usage.Quota("projects").ShouldBe(new QuotaUsage("projects", 1, 3));
        usage.Quota("messages").ShouldBe(new QuotaUsage("messages", 0, 10_000));
        usage.Quota("message_bytes").ShouldBe(new QuotaUsage("message_bytes", 0, 100_000_000));
        usage.Quota("api_requests_per_hour").Limit.ShouldBe(1_000);
    }

    [Fact]
    public async Task A_project_over_the_plan_is_402_with_the_quota_and_nothing_is_stored()
    {
        var owner = await _anonymous.RegisterAsync();
        for (var i = 0; i < 3; i++)
        {
            await owner.CreateProjectAsync();
        }

        var refused = await owner.Client.PostAsync($"{owner.OrgPath}/projects", new CreateProjectRequest("One too many"));

        await refused.ShouldBeOverQuotaAsync("projects", 3, 3, "free");
        (await owner.AllPagesAsync<ProjectResponse>($"{owner.OrgPath}/projects")).Count.ShouldBe(3);
        (await owner.UsageAsync()).Quota("projects").Used.ShouldBe(3);
    }

    [Fact]
    public async Task Pending_invitations_count_as_members_and_revoking_one_makes_room()
    {
        var owner = await _anonymous.RegisterAsync();
        await owner.AddMemberAsync("member");
        await owner.InviteAsync($"a-{Guid.NewGuid():N}@example.com", "viewer");

        var refused = await owner.Client.PostAsync($"{owner.OrgPath}/invitations", new CreateInvitationRequest($"b-{Guid.NewGuid():N}@example.com", "viewer"));
        await refused.ShouldBeOverQuotaAsync("members", 3, 3, "free");

        var pending = await owner.Client.GetJsonAsync<PagedList<InvitationResponse>>($"{owner.OrgPath}/invitations");
        pending.Items.Count.ShouldBe(1);
        (await owner.Client.DeleteAsync($"{owner.OrgPath}/invitations/{pending.Items[0].Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await owner.Client.PostAsync($"{owner.OrgPath}/invitations", new CreateInvitationRequest($"c-{Guid.NewGuid():N}@example.com", "viewer")))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Licences_and_the_seats_of_one_licence_are_capped_but_lowering_seats_is_always_allowed()
    {
        var owner = await _anonymous.RegisterAsync();
        var tooBig = await owner.Client.PostAsync($"{owner.OrgPath}/licenses", new CreateLicenseRequest("Big", 11, null, []));
        await tooBig.ShouldBeOverQuotaAsync("seats_per_license", 10, 0, "free");

        var license = await owner.CreateLicenseAsync(seats: 10);
        var grow = await owner.Client.PatchAsync($"{owner.OrgPath}/licenses/{license.Id}", new { seats_total = 11 });
        await grow.ShouldBeOverQuotaAsync("seats_per_license", 10, 10, "free");
        (await owner.Client.GetJsonAsync<LicenseResponse>($"{owner.OrgPath}/licenses/{license.Id}")).SeatsTotal.ShouldBe(10);

        await owner.CreateLicenseAsync(seats: 1);
        await owner.CreateLicenseAsync(seats: 1);
        var fourth = await owner.Client.PostAsync($"{owner.OrgPath}/licenses", new CreateLicenseRequest("Fourth", 1, null, []));
        await fourth.ShouldBeOverQuotaAsync("licenses", 3, 3, "free");
        (await owner.Client.GetJsonAsync<PagedList<LicenseResponse>>($"{owner.OrgPath}/licenses")).Total.ShouldBe(3);
    }

    [Fact]
    public async Task A_downgrade_keeps_what_exists_and_blocks_only_growth()
    {
        var owner = await _anonymous.RegisterAsync();
        var staff = await _anonymous.RegisterStaffAsync();
        (await staff.SetPlanOkAsync(owner.OrgId, "pro")).Plan.ShouldBe("pro");
        for (var i = 0; i < 5; i++)
        {
            await owner.CreateProjectAsync();
        }

        var big = await owner.CreateLicenseAsync(seats: 50);

        (await staff.SetPlanOkAsync(owner.OrgId, null)).Plan.ShouldBe("free");

        (await owner.AllPagesAsync<ProjectResponse>($"{owner.OrgPath}/projects")).Count.ShouldBe(5);
        await (await owner.Client.PostAsync($"{owner.OrgPath}/projects", new CreateProjectRequest("More"))).ShouldBeOverQuotaAsync("projects", 3, 5, "free");
        var lowered = await owner.Client.PatchAsync($"{owner.OrgPath}/licenses/{big.Id}", new { seats_total = 40 });
        (await lowered.ReadAsync<LicenseResponse>(HttpStatusCode.OK)).SeatsTotal.ShouldBe(40); // still over 10, but not growth
        await (await owner.Client.PatchAsync($"{owner.OrgPath}/licenses/{big.Id}", new { seats_total = 41 }))
            .ShouldBeOverQuotaAsync("seats_per_license", 10, 40, "free");
    }

    [Fact]
    public async Task A_plan_from_the_settings_sets_its_limits_and_empty_is_unlimited()
    {
        var owner = await _anonymous.RegisterAsync();
        var staff = await _anonymous.RegisterStaffAsync();
        await staff.SetPlanOkAsync(owner.OrgId, "team");

        var usage = await owner.UsageAsync();

        usage.Plan.ShouldBe("team");
        usage.Quota("projects").Limit.ShouldBe(4);
        usage.Quota("members").Limit.ShouldBeNull();
        (await (await staff.SetPlanAsync(owner.OrgId, "platinum")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed))
            .GetProperty("errors").TryGetProperty("plan", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Twenty_parallel_creations_with_one_unit_left_give_exactly_one_success()
    {
        var owner = await _anonymous.RegisterAsync();
        await owner.CreateProjectAsync();
        await owner.CreateProjectAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            owner.Client.PostAsync($"{owner.OrgPath}/projects", new CreateProjectRequest($"Parallel {i}"))));

        answers.Count(a => a.StatusCode == HttpStatusCode.Created).ShouldBe(1);
        answers.Count(a => a.StatusCode == HttpStatusCode.PaymentRequired).ShouldBe(19);
        (await owner.AllPagesAsync<ProjectResponse>($"{owner.OrgPath}/projects")).Count.ShouldBe(3);
    }

    [Fact]
    public async Task Twenty_parallel_invitations_with_one_seat_left_give_exactly_one_success()
    {
        var owner = await _anonymous.RegisterAsync();
        await owner.InviteAsync($"a-{Guid.NewGuid():N}@example.com", "member");

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            owner.Client.PostAsync($"{owner.OrgPath}/invitations", new CreateInvitationRequest($"p{i}-{Guid.NewGuid():N}@example.com", "member"))));

        answers.Count(a => a.StatusCode == HttpStatusCode.Created).ShouldBe(1);
        answers.Count(a => a.StatusCode == HttpStatusCode.PaymentRequired).ShouldBe(19);
        (await owner.UsageAsync()).Quota("members").Used.ShouldBe(3);
    }

    [Fact]
    public async Task Owners_and_admins_read_usage_only_owners_manage_billing()
    {
        var owner = await _anonymous.RegisterAsync();
        var admin = await owner.AddMemberAsync("admin");
        var member = await owner.AddMemberAsync("member");

        (await admin.Client.GetAsync($"{owner.OrgPath}/usage")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await admin.Client.GetAsync($"{owner.OrgPath}/billing")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await admin.Client.PostAsync($"{owner.OrgPath}/billing/trial")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
        await (await member.Client.GetAsync($"{owner.OrgPath}/usage")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
        var stranger = await _anonymous.RegisterAsync();
        await (await stranger.Client.GetAsync($"{owner.OrgPath}/usage")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.OrgNotFound);
        await (await owner.Client.GetAsync($"/api/v1/staff/organizations/{owner.OrgId}/billing")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
    }

    [Fact]
    public async Task Staff_plan_changes_are_audited_as_subscription_events()
    {
        var owner = await _anonymous.RegisterAsync();
        var staff = await _anonymous.RegisterStaffAsync();
        var end = app.Clock.GetUtcNow().UtcDateTime.AddDays(30);

        var set = await staff.SetPlanOkAsync(owner.OrgId, "pro", end, seats: 7);

        set.SubscribedPlan.ShouldBe("pro");
        set.Status.ShouldBe(SubscriptionStatuses.Active);
        set.Provider.ShouldBe("manual");
        set.PeriodEnd!.Value.ShouldBe(end, TimeSpan.FromSeconds(1));
        (await staff.Client.GetJsonAsync<BillingResponse>($"/api/v1/staff/organizations/{owner.OrgId}/billing")).Seats.ShouldBe(7);
        var audit = await owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{owner.OrgPath}/audit-events?action=subscription.updated");
        audit.Items.ShouldHaveSingleItem().Actor.Id.ShouldBe(staff.UserId);
        await (await staff.SetPlanAsync(Guid.NewGuid(), "pro")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.OrgNotFound);
    }

    [Fact]
    public async Task Checkout_and_portal_are_409_with_manual_billing()
    {
        var owner = await _anonymous.RegisterAsync();
        await (await owner.Client.PostAsync($"{owner.OrgPath}/billing/checkout", new { plan = "pro", seats = 1 }))
            .ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.BillingProviderManual);
        await (await owner.Client.PostAsync($"{owner.OrgPath}/billing/portal"))
            .ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.BillingProviderManual);
    }
}

public sealed class QuotaTestsOnSqlite(BillingSqliteApp app) : QuotaTests<BillingSqliteApp>(app);

public sealed class QuotaTestsOnPostgres(BillingPostgresApp app) : QuotaTests<BillingPostgresApp>(app);

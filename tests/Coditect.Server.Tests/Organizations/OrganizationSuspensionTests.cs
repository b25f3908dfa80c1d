using System.Net;
using System.Text.Json;
using Coditect.Contracts.Audit;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Contracts.Organizations;
using Coditect.Server.Tests.Infrastructure;
using Coditect.Server.Tests.Licensing;

namespace Coditect.Server.Tests.Organizations;

/// <summary>
/// Staff suspend an organization: its licences refuse acquire and heartbeat (release still frees the seat), its
/// members can only read the organization itself, and lifting it restores both.
/// </summary>
public abstract class OrganizationSuspensionTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task A_suspended_organizations_licences_refuse_acquire_and_heartbeat_and_release_still_frees_the_seat()
    {
        var staff = await _anonymous.RegisterStaffAsync();
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var key = license.LicenseKey!;
        var lease = await _anonymous.AcquireSeatAsync(key, "m1");
        (await _anonymous.HeartbeatAsync(key, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK, "a copy of the licence is cached (Redis mode)");

        await staff.SuspendOrganizationAsync(vendor.OrgId);

        await (await _anonymous.AcquireAsync(key, "m2")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.OrganizationSuspended);
        await (await _anonymous.AcquireAsync(key, "m1")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.OrganizationSuspended);
        await (await _anonymous.HeartbeatAsync(key, lease.SessionId)).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.OrganizationSuspended);
        var validated = await _anonymous.ValidateAsync(key, "m1");
        validated.Valid.ShouldBeFalse();
        validated.Code.ShouldBe(ValidationCodes.OrganizationSuspended);
        validated.License!.Status.ShouldBe(LicenseStatuses.Active, "the licence's own state is separate");
        (await _anonymous.ValidateAsync(key)).Code.ShouldBe(ValidationCodes.OrganizationSuspended);

        (await _anonymous.ReleaseAsync(key, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await staff.UnsuspendOrganizationAsync(vendor.OrgId);
        (await _anonymous.AcquireAsync(key, "m2")).StatusCode.ShouldBe(HttpStatusCode.Created, "the released seat was free");
        (await _anonymous.ValidateAsync(key, "m2")).Code.ShouldBe(ValidationCodes.Valid);
    }

    [Fact]
    public async Task Unsuspending_lets_a_live_lease_heartbeat_again()
    {
        var staff = await _anonymous.RegisterStaffAsync();
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 2);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "m1");

        await staff.SuspendOrganizationAsync(vendor.OrgId);
        await (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.OrganizationSuspended);
        await staff.UnsuspendOrganizationAsync(vendor.OrgId);

        (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await _anonymous.AcquireAsync(license.LicenseKey!, "m2")).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Another_organizations_licences_are_not_affected()
    {
        var staff = await _anonymous.RegisterStaffAsync();
        var suspended = await _anonymous.RegisterAsync();
        var other = await _anonymous.RegisterAsync();
        var license = await other.CreateLicenseAsync(seats: 1);

        await staff.SuspendOrganizationAsync(suspended.OrgId);

        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "m1");
        (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await other.Client.GetAsync($"{other.OrgPath}/licenses")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_suspended_organizations_members_can_read_the_organization_and_nothing_else()
    {
        var staff = await _anonymous.RegisterStaffAsync();
        var owner = await _anonymous.RegisterAsync();
        var viewer = await owner.AddMemberAsync("viewer");
        var apiKey = await owner.CreateApiKeyAsync("admin");
        var bot = _anonymous.WithBearer(apiKey.Key!);

        await staff.SuspendOrganizationAsync(owner.OrgId);

        var organization = await owner.Client.GetJsonAsync<OrganizationResponse>(owner.OrgPath);
        organization.SuspendedAt.ShouldNotBeNull();
        (await viewer.Client.GetJsonAsync<OrganizationResponse>($"/api/v1/orgs/{owner.OrgId}")).SuspendedAt.ShouldNotBeNull();
        (await bot.GetAsync(owner.OrgPath)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await owner.Client.GetAsync($"{owner.OrgPath}/licenses")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.OrganizationSuspended);
        await (await owner.Client.PostAsync($"{owner.OrgPath}/licenses", new CreateLicenseRequest("New", 1, null, null)))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.OrganizationSuspended);
        await (await owner.Client.PatchAsync(owner.OrgPath, new UpdateOrganizationRequest("Renamed", null)))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.OrganizationSuspended);
        await (await owner.Client.GetAsync($"{owner.OrgPath}/audit-events")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.OrganizationSuspended);
        await (await viewer.Client.GetAsync($"{owner.OrgPath}/members")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.OrganizationSuspended);
        await (await viewer.Client.GetAsync($"{owner.OrgPath}/api-keys")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.OrganizationSuspended);
        await (await bot.GetAsync($"{owner.OrgPath}/licenses")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.OrganizationSuspended);
        await (await staff.Client.GetAsync(owner.OrgPath)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.OrgNotFound);

        await staff.UnsuspendOrganizationAsync(owner.OrgId);

        (await owner.Client.GetAsync($"{owner.OrgPath}/licenses")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await bot.GetAsync($"{owner.OrgPath}/licenses")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await owner.Client.GetJsonAsync<OrganizationResponse>(owner.OrgPath)).SuspendedAt.ShouldBeNull();
    }

    [Fact]
    public async Task The_staff_endpoints_answer_staff_only_and_404_for_an_unknown_organization()
    {
        var staff = await _anonymous.RegisterStaffAsync();
        var owner = await _anonymous.RegisterAsync();
        var apiKey = await staff.CreateApiKeyAsync("owner");
        var path = $"/api/v1/staff/organizations/{owner.OrgId}";

        await (await _anonymous.PostAsync($"{path}/suspend")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.Unauthorized);
        await (await owner.SuspendAsync(owner.OrgId)).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
        await (await _anonymous.WithBearer(apiKey.Key!).PostAsync($"{path}/suspend"))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden); // an API key is never staff, whoever made it
        await (await staff.SuspendAsync(Guid.NewGuid())).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.OrgNotFound);
        await (await staff.UnsuspendAsync(Guid.NewGuid())).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.OrgNotFound);
        (await owner.Client.GetAsync($"{owner.OrgPath}/licenses")).StatusCode.ShouldBe(HttpStatusCode.OK, "nothing was suspended");

        (await staff.SuspendAsync(owner.OrgId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await staff.SuspendAsync(owner.OrgId)).StatusCode.ShouldBe(HttpStatusCode.NoContent, "again: no change");
        await (await owner.UnsuspendAsync(owner.OrgId)).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
        (await staff.UnsuspendAsync(owner.OrgId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await staff.UnsuspendAsync(owner.OrgId)).StatusCode.ShouldBe(HttpStatusCode.NoContent, "again: no change");
    }

    [Fact]
    public async Task Suspending_and_unsuspending_are_audited_once_each_with_the_staff_member_as_actor()
    {
        var staff = await _anonymous.RegisterStaffAsync();
        var owner = await _anonymous.RegisterAsync();
        var requestId = $"req-{Guid.NewGuid():N}";

        using (var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/staff/organizations/{owner.OrgId}/suspend"))
        {
            request.Headers.Add("X-Request-Id", requestId);
            (await staff.Client.Http.SendAsync(request)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        await staff.SuspendOrganizationAsync(owner.OrgId); // no change, no second event
        await staff.UnsuspendOrganizationAsync(owner.OrgId);

        var events = (await owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{owner.OrgPath}/audit-events?page_size=100")).Items;
        var suspended = events.Where(e => e.Action == "organization.suspended").ShouldHaveSingleItem();
        suspended.Actor.ShouldBe(new AuditActor("user", staff.UserId));
        suspended.ObjectType.ShouldBe("organization");
        suspended.ObjectId.ShouldBe(owner.OrgId.ToString());
        suspended.RequestId.ShouldBe(requestId);
        IsNull(suspended.Changes["suspended_at"].Before).ShouldBeTrue();
        IsNull(suspended.Changes["suspended_at"].After).ShouldBeFalse();
        var unsuspended = events.Where(e => e.Action == "organization.unsuspended").ShouldHaveSingleItem();
        unsuspended.Actor.ShouldBe(new AuditActor("user", staff.UserId));
        IsNull(unsuspended.Changes["suspended_at"].Before).ShouldBeFalse();
        IsNull(unsuspended.Changes["suspended_at"].After).ShouldBeTrue();
        events.ShouldNotContain(e => e.Action == "organization.updated", "the explicit events are the only record");
    }

    private static bool IsNull(object? value) => value is null or JsonElement { ValueKind: JsonValueKind.Null };
}

public sealed class OrganizationSuspensionTestsOnSqlite(SqliteApp app) : OrganizationSuspensionTests<SqliteApp>(app);

public sealed class OrganizationSuspensionTestsOnPostgres(PostgresApp app) : OrganizationSuspensionTests<PostgresApp>(app);

public sealed class OrganizationSuspensionTestsOnRedis(RedisApp app) : OrganizationSuspensionTests<RedisApp>(app);

/// <summary>A suspension made through one node reaches the other's cached licence copies as fast as a licence change.</summary>
public sealed class OrganizationSuspensionClusterTests(RedisApp app) : IClassFixture<RedisApp>
{
    [Fact]
    public async Task An_organization_suspended_through_one_node_is_refused_by_the_other_within_a_second()
    {
        await using var nodeB = new SecondNode(app);
        var clientB = nodeB.Anonymous();
        var staff = await app.Anonymous().RegisterStaffAsync();
        var vendor = await app.Anonymous().RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 2);
        var lease = await clientB.AcquireSeatAsync(license.LicenseKey!, "m1");
        (await clientB.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK, "node b holds a copy of the licence");

        await staff.SuspendOrganizationAsync(vendor.OrgId);

        var suspendedAt = DateTime.UtcNow;
        await Eventually.ShouldHoldAsync(async () =>
            (await clientB.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).StatusCode == HttpStatusCode.Forbidden,
            TimeSpan.FromSeconds(3), "node b refuses the suspended organization's licence (its copy would otherwise live 60 s)");
        (DateTime.UtcNow - suspendedAt).ShouldBeLessThan(TimeSpan.FromSeconds(2));
        await (await clientB.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.OrganizationSuspended);

        await staff.UnsuspendOrganizationAsync(vendor.OrgId);

        var liftedAt = DateTime.UtcNow;
        await Eventually.ShouldHoldAsync(async () =>
            (await clientB.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(3), "node b serves the licence again");
        (DateTime.UtcNow - liftedAt).ShouldBeLessThan(TimeSpan.FromSeconds(2));
    }
}

using System.Net;
using System.Text.Json;
using Coditect.Contracts.Audit;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Contracts.Organizations;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Licensing;

public abstract class LicenseAdminTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task Create_shows_the_key_once_and_only_a_preview_afterwards()
    {
        var vendor = await _anonymous.RegisterAsync();
        var created = await vendor.CreateLicenseAsync(seats: 5);

        created.LicenseKey!.ShouldMatch("^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$");
        created.Status.ShouldBe("active");
        created.SeatsUsed.ShouldBe(0);
        created.KeyPreview.ShouldStartWith(created.LicenseKey![..5]);
        created.KeyPreview.ShouldEndWith(created.LicenseKey[^4..]);

        var read = await vendor.Client.GetJsonAsync<LicenseResponse>($"{vendor.OrgPath}/licenses/{created.Id}");
        read.LicenseKey.ShouldBeNull();
        var list = await vendor.Client.GetJsonAsync<PagedList<LicenseResponse>>($"{vendor.OrgPath}/licenses");
        list.Items.ShouldAllBe(l => l.LicenseKey == null);
        (await vendor.Client.Http.GetStringAsync($"{vendor.OrgPath}/licenses")).ShouldNotContain(created.LicenseKey);
    }

    [Theory]
    [InlineData(0, "seats_total")]
    [InlineData(1_000_001, "seats_total")]
    public async Task Create_rejects_seat_counts_out_of_range(int seats, string field)
    {
        var vendor = await _anonymous.RegisterAsync();
        var response = await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses", new CreateLicenseRequest("x", seats));
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Create_rejects_an_expiry_in_the_past_and_bad_entitlements()
    {
        var vendor = await _anonymous.RegisterAsync();
        var response = await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses",
            new CreateLicenseRequest("x", 1, app.Clock.GetUtcNow().UtcDateTime.AddDays(-1), ["has space"]));
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        problem.GetProperty("errors").TryGetProperty("expires_at", out _).ShouldBeTrue();
        problem.GetProperty("errors").TryGetProperty("entitlements", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Suspend_refuses_acquires_and_heartbeats_and_reinstate_restores_them()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 2);
        var key = license.LicenseKey!;
        var lease = await _anonymous.AcquireSeatAsync(key, "m1");

        (await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses/{license.Id}/suspend")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await _anonymous.AcquireAsync(key, "m2")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.LicenseSuspended);
        await (await _anonymous.HeartbeatAsync(key, lease.SessionId)).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.LicenseSuspended);
        (await _anonymous.ValidateAsync(key)).Code.ShouldBe(ValidationCodes.Suspended);

        var reinstated = await (await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses/{license.Id}/reinstate")).ReadAsync<LicenseResponse>(HttpStatusCode.OK);
        reinstated.Status.ShouldBe("active");
        (await _anonymous.HeartbeatAsync(key, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await _anonymous.AcquireAsync(key, "m2")).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task An_expired_licence_refuses_and_renew_brings_it_back()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1, expiresAt: app.Clock.GetUtcNow().UtcDateTime.AddDays(1));
        var key = license.LicenseKey!;
        // An API key, because the vendor's access token would expire with the clock moved two days.
        var apiKey = await (await vendor.Client.PostAsync($"{vendor.OrgPath}/api-keys", new CreateApiKeyRequest("ops", "admin")))
            .ReadAsync<ApiKeyResponse>(HttpStatusCode.Created);
        var admin = _anonymous.WithBearer(apiKey.Key!);

        app.Clock.Advance(TimeSpan.FromDays(2));
        await (await _anonymous.AcquireAsync(key, "m1")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.LicenseExpired);
        (await _anonymous.ValidateAsync(key)).Code.ShouldBe(ValidationCodes.Expired);
        (await admin.GetJsonAsync<LicenseResponse>($"{vendor.OrgPath}/licenses/{license.Id}")).Status.ShouldBe("expired");
        var expiredList = await admin.GetJsonAsync<PagedList<LicenseResponse>>($"{vendor.OrgPath}/licenses?status=expired");
        expiredList.Items.ShouldContain(l => l.Id == license.Id);

        var past = await admin.PostAsync($"{vendor.OrgPath}/licenses/{license.Id}/renew", new RenewLicenseRequest(app.Clock.GetUtcNow().UtcDateTime.AddDays(-1)));
        await past.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        var renewed = await (await admin.PostAsync($"{vendor.OrgPath}/licenses/{license.Id}/renew",
            new RenewLicenseRequest(app.Clock.GetUtcNow().UtcDateTime.AddDays(30)))).ReadAsync<LicenseResponse>(HttpStatusCode.OK);
        renewed.Status.ShouldBe("active");
        (await _anonymous.AcquireAsync(key, "m1")).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Lowering_seats_below_use_keeps_live_sessions_and_refuses_new_ones_until_under_the_limit()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 3);
        var key = license.LicenseKey!;
        var leases = new List<AcquireResponse>();
        for (var i = 0; i < 3; i++)
        {
            leases.Add(await _anonymous.AcquireSeatAsync(key, $"m{i}"));
        }

        var lowered = await (await vendor.Client.PatchAsync($"{vendor.OrgPath}/licenses/{license.Id}", new { seats_total = 1 }))
            .ReadAsync<LicenseResponse>(HttpStatusCode.OK);
        lowered.SeatsTotal.ShouldBe(1);
        lowered.SeatsUsed.ShouldBe(3);

        foreach (var lease in leases)
        {
            (await _anonymous.HeartbeatAsync(key, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await (await _anonymous.AcquireAsync(key, "new")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);
        await _anonymous.ReleaseAsync(key, leases[0].SessionId);
        await _anonymous.ReleaseAsync(key, leases[1].SessionId);
        await (await _anonymous.AcquireAsync(key, "new")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);
        await _anonymous.ReleaseAsync(key, leases[2].SessionId);
        (await _anonymous.AcquireAsync(key, "new")).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Patch_changes_only_the_fields_sent_and_null_expiry_makes_it_perpetual()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 2, expiresAt: app.Clock.GetUtcNow().UtcDateTime.AddDays(10));

        var renamed = await (await vendor.Client.PatchAsync($"{vendor.OrgPath}/licenses/{license.Id}",
            new { name = "Renamed", metadata = new { tier = "gold" } })).ReadAsync<LicenseResponse>(HttpStatusCode.OK);
        renamed.Name.ShouldBe("Renamed");
        renamed.SeatsTotal.ShouldBe(2);
        renamed.ExpiresAt.ShouldNotBeNull();
        renamed.Metadata["tier"].GetString().ShouldBe("gold");

        var perpetual = await (await vendor.Client.PatchAsync($"{vendor.OrgPath}/licenses/{license.Id}",
            JsonDocument.Parse("""{"expires_at": null}""").RootElement)).ReadAsync<LicenseResponse>(HttpStatusCode.OK);
        perpetual.ExpiresAt.ShouldBeNull();

        var wrongType = await vendor.Client.PatchAsync($"{vendor.OrgPath}/licenses/{license.Id}", new { seats_total = "many" });
        var problem = await wrongType.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        problem.GetProperty("errors").TryGetProperty("seats_total", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Delete_ends_the_licences_sessions()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "m1");

        (await vendor.Client.DeleteAsync($"{vendor.OrgPath}/licenses/{license.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await (await vendor.Client.GetAsync($"{vendor.OrgPath}/licenses/{license.Id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.LicenseNotFound);
        await (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.LicenseNotFound);
    }

    [Fact]
    public async Task An_admin_kick_frees_the_seat_at_once_and_is_audited()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "m1");

        (await vendor.Client.DeleteAsync($"{vendor.OrgPath}/sessions/{lease.SessionId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        (await _anonymous.AcquireAsync(license.LicenseKey!, "m2")).StatusCode.ShouldBe(HttpStatusCode.Created);
        await (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).ShouldBeProblemAsync(HttpStatusCode.Gone, ProblemCodes.SessionReleased);
        var kicked = await vendor.Client.GetJsonAsync<PagedList<SessionResponse>>($"{vendor.OrgPath}/licenses/{license.Id}/sessions?status=kicked");
        kicked.Items.ShouldHaveSingleItem().Id.ShouldBe(lease.SessionId);
        var audit = await vendor.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{vendor.OrgPath}/audit-events?action=session.kicked");
        audit.Items.ShouldHaveSingleItem().ObjectId.ShouldBe(lease.SessionId.ToString());
    }

    [Fact]
    public async Task Licence_changes_appear_in_the_audit_log_without_the_key()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses/{license.Id}/suspend");

        var body = await vendor.Client.Http.GetStringAsync($"{vendor.OrgPath}/audit-events?object_type=license");
        var audit = JsonSerializer.Deserialize<PagedList<AuditEventResponse>>(body, Client.Json)!;
        audit.Items.Select(e => e.Action).ShouldBe(["license.updated", "license.created"]);
        audit.Items[0].Changes.Keys.ShouldBe(["state"]);
        body.ShouldNotContain(license.LicenseKey!);
        body.ShouldNotContain("key_hash");
    }

    [Fact]
    public async Task Usage_counts_acquisitions_denials_and_peak_per_hour()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 2);
        var key = license.LicenseKey!;
        await _anonymous.AcquireSeatAsync(key, "m1");
        var second = await _anonymous.AcquireSeatAsync(key, "m2");
        await _anonymous.AcquireAsync(key, "m3");
        await _anonymous.AcquireAsync(key, "m4");
        await _anonymous.ReleaseAsync(key, second.SessionId);

        var usage = await vendor.Client.GetJsonAsync<UsageResponse>($"{vendor.OrgPath}/licenses/{license.Id}/usage?bucket=hour");
        usage.Buckets.Count.ShouldBeInRange(24, 25);
        usage.Buckets.Sum(b => b.Acquisitions).ShouldBe(2);
        usage.Buckets.Sum(b => b.Denials).ShouldBe(2);
        usage.Buckets.Max(b => b.PeakSeatsUsed).ShouldBe(2);

        var daily = await vendor.Client.GetJsonAsync<UsageResponse>($"{vendor.OrgPath}/licenses/{license.Id}/usage?bucket=day");
        daily.Buckets.Sum(b => b.Acquisitions).ShouldBe(2);
        var bad = await vendor.Client.GetAsync($"{vendor.OrgPath}/licenses/{license.Id}/usage?bucket=week");
        await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
    }

    [Fact]
    public async Task Another_tenants_licence_and_session_ids_answer_404()
    {
        var owner = await _anonymous.RegisterAsync();
        var intruder = await _anonymous.RegisterAsync();
        var license = await owner.CreateLicenseAsync(seats: 1);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "m1");
        var mine = intruder.OrgPath;

        foreach (var path in new[]
        {
            $"{mine}/licenses/{license.Id}", $"{mine}/licenses/{license.Id}/sessions", $"{mine}/licenses/{license.Id}/usage",
        })
        {
            await (await intruder.Client.GetAsync(path)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.LicenseNotFound);
        }

        await (await intruder.Client.PatchAsync($"{mine}/licenses/{license.Id}", new { name = "x" })).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.LicenseNotFound);
        await (await intruder.Client.PostAsync($"{mine}/licenses/{license.Id}/suspend")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.LicenseNotFound);
        await (await intruder.Client.DeleteAsync($"{mine}/licenses/{license.Id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.LicenseNotFound);
        await (await intruder.Client.DeleteAsync($"{mine}/sessions/{lease.SessionId}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.SessionNotFound);
        await (await intruder.Client.GetAsync($"{owner.OrgPath}/licenses")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.OrgNotFound);
        (await intruder.Client.GetJsonAsync<PagedList<LicenseResponse>>($"{mine}/licenses")).Total.ShouldBe(0);

        (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK, "nothing above touched it");
    }

    [Fact]
    public async Task A_viewer_reads_licences_but_cannot_change_them()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var viewerKey = await (await vendor.Client.PostAsync($"{vendor.OrgPath}/api-keys", new CreateApiKeyRequest("ro", "viewer")))
            .ReadAsync<ApiKeyResponse>(HttpStatusCode.Created);
        var viewer = _anonymous.WithBearer(viewerKey.Key!);

        (await viewer.GetAsync($"{vendor.OrgPath}/licenses/{license.Id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await viewer.PostAsync($"{vendor.OrgPath}/licenses", new CreateLicenseRequest("x", 1))).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
        await (await viewer.PostAsync($"{vendor.OrgPath}/licenses/{license.Id}/suspend")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
    }

    [Fact]
    public async Task The_list_filters_by_status_and_searches_names()
    {
        var vendor = await _anonymous.RegisterAsync();
        var alpha = await (await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses", new CreateLicenseRequest("Alpha 100%", 1))).ReadAsync<LicenseResponse>(HttpStatusCode.Created);
        var beta = await (await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses", new CreateLicenseRequest("Beta", 1))).ReadAsync<LicenseResponse>(HttpStatusCode.Created);
        await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses/{beta.Id}/suspend");

        (await vendor.Client.GetJsonAsync<PagedList<LicenseResponse>>($"{vendor.OrgPath}/licenses?search=alpha%20100%25")).Items.ShouldHaveSingleItem().Id.ShouldBe(alpha.Id);
        (await vendor.Client.GetJsonAsync<PagedList<LicenseResponse>>($"{vendor.OrgPath}/licenses?status=suspended")).Items.ShouldHaveSingleItem().Id.ShouldBe(beta.Id);
        (await vendor.Client.GetJsonAsync<PagedList<LicenseResponse>>($"{vendor.OrgPath}/licenses?status=active")).Items.ShouldHaveSingleItem().Id.ShouldBe(alpha.Id);
        await (await vendor.Client.GetAsync($"{vendor.OrgPath}/licenses?status=weird")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
    }
}

public sealed class LicenseAdminTestsOnSqlite(SqliteApp app) : LicenseAdminTests<SqliteApp>(app);

public sealed class LicenseAdminTestsOnPostgres(PostgresApp app) : LicenseAdminTests<PostgresApp>(app);

public sealed class LicenseAdminTestsOnRedis(RedisApp app) : LicenseAdminTests<RedisApp>(app);

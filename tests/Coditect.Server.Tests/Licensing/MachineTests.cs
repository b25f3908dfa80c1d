using System.Net;
using Coditect.Contracts.Audit;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Coditect.Server.Tests.Licensing;

/// <summary>Node-locked licences: machine activations against the cap, on every ledger configuration.</summary>
public abstract class MachineTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task Machines_activate_up_to_the_cap_idempotently_and_free_their_place_on_deactivation()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateNodeLockedLicenseAsync(machines: 2);
        license.Type.ShouldBe(LicenseTypes.NodeLocked);

        var first = await (await _anonymous.ActivateAsync(license.LicenseKey!, "hw-1")).ReadAsync<ActivateResponse>(HttpStatusCode.Created);
        var again = await (await _anonymous.ActivateAsync(license.LicenseKey!, "hw-1")).ReadAsync<ActivateResponse>(HttpStatusCode.OK);
        again.MachineId.ShouldBe(first.MachineId);
        again.MachinesUsed.ShouldBe(1);
        await (await _anonymous.ActivateAsync(license.LicenseKey!, "hw-2")).ReadAsync<ActivateResponse>(HttpStatusCode.Created);
        var refused = await (await _anonymous.ActivateAsync(license.LicenseKey!, "hw-3")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.MachineLimitReached);
        refused.GetProperty("seats_total").GetInt32().ShouldBe(2);

        (await _anonymous.ValidateAsync(license.LicenseKey!, "hw-1")).Code.ShouldBe(ValidationCodes.Valid);
        var other = await _anonymous.ValidateAsync(license.LicenseKey!, "hw-3");
        other.Code.ShouldBe(ValidationCodes.NotActivated);
        other.License!.SeatsUsed.ShouldBe(2);
        (await vendor.Client.GetJsonAsync<LicenseResponse>($"{vendor.OrgPath}/licenses/{license.Id}")).SeatsUsed.ShouldBe(2);

        (await _anonymous.PostAsync("/api/v1/licenses/deactivate", new DeactivateRequest(license.LicenseKey, "hw-1"))).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await _anonymous.PostAsync("/api/v1/licenses/deactivate", new DeactivateRequest(license.LicenseKey, "hw-1")))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.MachineNotFound);
        (await _anonymous.ValidateAsync(license.LicenseKey!, "hw-1")).Code.ShouldBe(ValidationCodes.NotActivated);
        (await _anonymous.ActivateAsync(license.LicenseKey!, "hw-3")).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task The_activation_token_is_signed_and_names_the_machine_and_the_licence()
    {
        var vendor = await _anonymous.RegisterAsync();
        var expiry = app.Clock.GetUtcNow().UtcDateTime.AddDays(30);
        var license = await vendor.CreateNodeLockedLicenseAsync(machines: 1, expiresAt: expiry);

        var activation = await (await _anonymous.ActivateAsync(license.LicenseKey!, "hw-1")).ReadAsync<ActivateResponse>(HttpStatusCode.Created);

        var result = await LeaseTokenVerifier.VerifyAsync(activation.ActivationToken, await _anonymous.Http.GetStringAsync($"/api/v1/orgs/{vendor.OrgId}/jwks.json"), app.Clock);
        result.IsValid.ShouldBeTrue(result.Exception?.Message);
        var token = (JsonWebToken)result.SecurityToken;
        token.Typ.ShouldBe("coditect-activation+jwt", "an activation token never passes for a lease token");
        token.GetClaim("hardware_id").Value.ShouldBe("hw-1");
        token.GetClaim("machine_id").Value.ShouldBe(activation.MachineId.ToString());
        token.GetClaim("license_id").Value.ShouldBe(license.Id.ToString());
        token.ValidTo.ShouldBe(expiry, TimeSpan.FromSeconds(1));
        activation.ExpiresAt.ShouldBe(expiry, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task An_activation_token_lives_no_longer_than_a_licence_file()
    {
        var vendor = await _anonymous.RegisterAsync();
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var license = await vendor.CreateNodeLockedLicenseAsync(machines: 1, expiresAt: now.AddYears(5));

        var activation = await (await _anonymous.ActivateAsync(license.LicenseKey!, "hw-long")).ReadAsync<ActivateResponse>(HttpStatusCode.Created);

        // Licensing:LicenseFileMaxDays (365): the retired signing key stays published that long, not five years.
        activation.ExpiresAt.ShouldBe(now.AddDays(365), TimeSpan.FromMinutes(1));
        new JsonWebToken(activation.ActivationToken).ValidTo.ShouldBe(now.AddDays(365), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Parallel_activations_of_distinct_machines_never_pass_the_cap()
    {
        var vendor = await _anonymous.RegisterAsync();
        for (var round = 0; round < 2; round++)
        {
            var license = await vendor.CreateNodeLockedLicenseAsync(machines: 5);
            var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => _anonymous.ActivateAsync(license.LicenseKey!, $"hw-{round}-{i}")));

            var statuses = string.Join(", ", responses.GroupBy(r => (int)r.StatusCode).Select(g => $"{g.Key} x{g.Count()}"));
            responses.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(5, statuses);
            responses.Count(r => r.StatusCode == HttpStatusCode.Conflict).ShouldBe(35, statuses);
            var machines = await vendor.Client.GetJsonAsync<CursorPage<MachineResponse>>($"{vendor.OrgPath}/licenses/{license.Id}/machines?page_size=100");
            machines.Items.Count.ShouldBe(5);
        }
    }

    [Fact]
    public async Task A_node_locked_licence_leases_no_seat_and_a_floating_one_activates_no_machine()
    {
        var vendor = await _anonymous.RegisterAsync();
        var nodeLocked = await vendor.CreateNodeLockedLicenseAsync(machines: 3);
        await (await _anonymous.AcquireAsync(nodeLocked.LicenseKey!, "hw-1")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.LicenseNodeLocked);

        var floating = await vendor.CreateLicenseAsync(seats: 3);
        floating.Type.ShouldBe(LicenseTypes.Floating);
        await (await _anonymous.ActivateAsync(floating.LicenseKey!, "hw-1")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.LicenseNotNodeLocked);

        // A floating licence turned node-locked refuses its live leases' next heartbeat.
        var lease = await _anonymous.AcquireSeatAsync(floating.LicenseKey!, "hw-1");
        var changed = await (await vendor.Client.PatchAsync($"{vendor.OrgPath}/licenses/{floating.Id}", new { type = "node_locked" })).ReadAsync<LicenseResponse>(HttpStatusCode.OK);
        changed.Type.ShouldBe(LicenseTypes.NodeLocked);
        await (await _anonymous.HeartbeatAsync(floating.LicenseKey!, lease.SessionId)).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.LicenseNodeLocked);
        await (await vendor.Client.PatchAsync($"{vendor.OrgPath}/licenses/{floating.Id}", new { type = "pinned" }))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
    }

    [Fact]
    public async Task Admins_page_through_machines_deactivate_one_and_both_are_audited()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateNodeLockedLicenseAsync(machines: 3);
        foreach (var hw in new[] { "hw-a", "hw-b", "hw-c" })
        {
            (await _anonymous.PostAsync("/api/v1/licenses/activate", new ActivateRequest(license.LicenseKey, hw, $"Desk {hw}", "linux-x64")))
                .StatusCode.ShouldBe(HttpStatusCode.Created);
        }

        var path = $"{vendor.OrgPath}/licenses/{license.Id}/machines";
        var page = await vendor.Client.GetJsonAsync<CursorPage<MachineResponse>>($"{path}?page_size=2");
        page.Items.Count.ShouldBe(2);
        page.NextCursor.ShouldNotBeNull();
        var rest = await vendor.Client.GetJsonAsync<CursorPage<MachineResponse>>($"{path}?page_size=2&cursor={page.NextCursor}");
        var all = page.Items.Concat(rest.Items).ToList();
        all.Select(m => m.HardwareId).ShouldBe(["hw-c", "hw-b", "hw-a"]);
        all[0].Name.ShouldBe("Desk hw-c");
        all[0].Platform.ShouldBe("linux-x64");
        rest.NextCursor.ShouldBeNull();

        var viewer = await vendor.AddMemberAsync("viewer");
        (await viewer.Client.GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await viewer.Client.DeleteAsync($"{path}/{all[0].Id}")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
        var stranger = await _anonymous.RegisterAsync();
        await (await stranger.Client.GetAsync($"{stranger.OrgPath}/licenses/{license.Id}/machines")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.LicenseNotFound);

        (await vendor.Client.DeleteAsync($"{path}/{all[0].Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await vendor.Client.DeleteAsync($"{path}/{all[0].Id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.MachineNotFound);
        (await _anonymous.ValidateAsync(license.LicenseKey!, "hw-c")).Code.ShouldBe(ValidationCodes.NotActivated);

        var activated = await vendor.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{vendor.OrgPath}/audit-events?action=machine.activated");
        activated.Items.Count.ShouldBe(3);
        var deactivated = await vendor.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{vendor.OrgPath}/audit-events?action=machine.deactivated");
        deactivated.Items.ShouldHaveSingleItem().ObjectId.ShouldBe(all[0].Id.ToString());
    }
}

public sealed class MachineTestsOnSqlite(SqliteApp app) : MachineTests<SqliteApp>(app);

public sealed class MachineTestsOnPostgres(PostgresApp app) : MachineTests<PostgresApp>(app);

public sealed class MachineTestsOnRedis(RedisApp app) : MachineTests<RedisApp>(app);

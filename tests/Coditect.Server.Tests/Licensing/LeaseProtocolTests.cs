using System.Net;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Licensing;
using Coditect.Server.Licensing.Ledger;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Licensing;

public abstract class LeaseProtocolTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(360);
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task Acquire_answers_the_lease_with_a_third_of_the_ttl_as_heartbeat_interval()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 3);

        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-1");

        lease.HeartbeatIntervalSeconds.ShouldBe(120);
        lease.SeatsTotal.ShouldBe(3);
        lease.SeatsUsed.ShouldBe(1);
        lease.ExpiresAt.ShouldBe(app.Clock.GetUtcNow().UtcDateTime + Ttl, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task The_same_machine_gets_its_own_session_back_with_200()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var first = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-1");

        var again = await (await _anonymous.AcquireAsync(license.LicenseKey!, "machine-1")).ReadAsync<AcquireResponse>(HttpStatusCode.OK);

        again.SessionId.ShouldBe(first.SessionId);
        again.SeatsUsed.ShouldBe(1);
    }

    [Fact]
    public async Task A_lapsed_lease_frees_its_seat_and_is_never_revived()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var old = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-old");
        await (await _anonymous.AcquireAsync(license.LicenseKey!, "machine-new")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);

        app.Clock.Advance(Ttl + TimeSpan.FromSeconds(1));
        // No sweeper has run: the seat is free the moment the lease lapses.
        var fresh = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-new");

        var late = await _anonymous.HeartbeatAsync(license.LicenseKey!, old.SessionId);
        await late.ShouldBeProblemAsync(HttpStatusCode.Gone, ProblemCodes.SessionExpired);
        (await vendor.Client.GetJsonAsync<LicenseResponse>($"{vendor.OrgPath}/licenses/{license.Id}")).SeatsUsed.ShouldBe(1);
        (await _anonymous.HeartbeatAsync(license.LicenseKey!, fresh.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);

        // The old machine comes back: it gets a new session, and only if a seat is free.
        await (await _anonymous.AcquireAsync(license.LicenseKey!, "machine-old")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);
    }

    [Fact]
    public async Task A_lapsed_lease_is_not_revived_even_when_its_seat_is_still_free()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 5);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-1");

        app.Clock.Advance(Ttl + TimeSpan.FromSeconds(1));
        await (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).ShouldBeProblemAsync(HttpStatusCode.Gone, ProblemCodes.SessionExpired);
        (await _anonymous.ValidateAsync(license.LicenseKey!, "machine-1")).Code.ShouldBe(ValidationCodes.HeartbeatDead);
        var renewed = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-1");
        renewed.SessionId.ShouldNotBe(lease.SessionId);
    }

    [Fact]
    public async Task Heartbeats_keep_a_lease_alive_past_its_first_ttl()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-1");

        for (var beat = 0; beat < 4; beat++)
        {
            app.Clock.Advance(TimeSpan.FromSeconds(120));
            var response = await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId);
            var renewed = await response.ReadAsync<HeartbeatResponse>(HttpStatusCode.OK);
            renewed.ExpiresAt.ShouldBe(app.Clock.GetUtcNow().UtcDateTime + Ttl, TimeSpan.FromSeconds(5));
            renewed.LeaseToken.ShouldNotBeNullOrEmpty();
        }

        await (await _anonymous.AcquireAsync(license.LicenseKey!, "machine-2")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);
    }

    [Fact]
    public async Task Release_frees_the_seat_at_once_and_is_idempotent()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-1");

        (await _anonymous.ReleaseAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await _anonymous.ReleaseAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-2");
        await (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).ShouldBeProblemAsync(HttpStatusCode.Gone, ProblemCodes.SessionReleased);
        (await _anonymous.ValidateAsync(license.LicenseKey!, "machine-1")).Code.ShouldBe(ValidationCodes.NoSession);
    }

    [Fact]
    public async Task A_session_id_alone_or_with_another_key_is_not_enough()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var other = await vendor.CreateLicenseAsync(seats: 1);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-1");

        await (await _anonymous.HeartbeatAsync(other.LicenseKey!, lease.SessionId)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.SessionNotFound);
        await (await _anonymous.ReleaseAsync(other.LicenseKey!, lease.SessionId)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.SessionNotFound);
        await (await _anonymous.HeartbeatAsync("AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", lease.SessionId)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.LicenseNotFound);
        var missingKey = await _anonymous.PostAsync("/api/v1/licenses/heartbeat", new { session_id = lease.SessionId });
        await missingKey.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Keys_are_forgiving_of_case_dashes_and_look_alike_letters()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var typed = license.LicenseKey!.Replace("-", " ", StringComparison.Ordinal).Replace('1', 'l').Replace('0', 'O').ToLowerInvariant();

        (await _anonymous.ValidateAsync(typed)).Code.ShouldBe(ValidationCodes.Valid);
    }

    [Theory]
    [InlineData(null, "machine", "license_key")]
    [InlineData("", "machine", "license_key")]
    [InlineData("KEY", null, "hardware_id")]
    [InlineData("KEY", "", "hardware_id")]
    public async Task Acquire_with_missing_fields_answers_400_naming_the_field(string? key, string? hardwareId, string field)
    {
        var response = await _anonymous.PostAsync("/api/v1/licenses/acquire", new AcquireRequest(key, hardwareId));
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Acquire_with_oversized_fields_answers_400()
    {
        var response = await _anonymous.PostAsync("/api/v1/licenses/acquire",
            new AcquireRequest("KEY", new string('h', 257), "not-an-email", new ClientInfo(new string('x', 201))));
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        var errors = problem.GetProperty("errors");
        errors.TryGetProperty("hardware_id", out _).ShouldBeTrue();
        errors.TryGetProperty("user_email", out _).ShouldBeTrue();
        errors.TryGetProperty("client.hostname", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Unknown_keys_answer_404_and_validate_NOT_FOUND()
    {
        await (await _anonymous.AcquireAsync("ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ", "m")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.LicenseNotFound);
        var validation = await _anonymous.ValidateAsync("ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ");
        validation.Valid.ShouldBeFalse();
        validation.Code.ShouldBe(ValidationCodes.NotFound);
        validation.License.ShouldBeNull();
    }

    [Fact]
    public async Task The_sweeper_marks_lapsed_sessions_expired_once()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 2);
        await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-1");
        await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-2");
        var sweeper = app.Services.GetRequiredService<LeaseSweeper>();

        app.Clock.Advance(Ttl + TimeSpan.FromSeconds(1));
        var swept = await Task.WhenAll(sweeper.SweepOnceAsync(CancellationToken.None), sweeper.SweepOnceAsync(CancellationToken.None));
        swept.Sum().ShouldBeGreaterThanOrEqualTo(2);
        var expired = await vendor.Client.GetJsonAsync<PagedList<SessionResponse>>($"{vendor.OrgPath}/licenses/{license.Id}/sessions?status=expired");
        expired.Total.ShouldBe(2);
        expired.Items.ShouldAllBe(s => s.EndedAt != null);
    }
}

public sealed class LeaseProtocolTestsOnSqlite(SqliteApp app) : LeaseProtocolTests<SqliteApp>(app);

public sealed class LeaseProtocolTestsOnPostgres(PostgresApp app) : LeaseProtocolTests<PostgresApp>(app);

public sealed class LeaseProtocolTestsOnRedis(RedisApp app) : LeaseProtocolTests<RedisApp>(app);

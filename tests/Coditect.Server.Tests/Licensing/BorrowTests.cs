using System.Net;
using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Licensing.Ledger;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Coditect.Server.Tests.Licensing;

/// <summary>
/// Borrowed seats (offline checkout) on each ledger: a lease of hours that holds its seat without heartbeats, which the
/// sweeper leaves alone until borrowed_until, and which release returns and a kick ends early. Admin calls come before
/// the clock moves past the vendor's access token.
/// </summary>
public abstract class BorrowTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    private DateTime Now => app.Clock.GetUtcNow().UtcDateTime;

    private Task<HttpResponseMessage> BorrowAsync(string key, string hardwareId, int? hours) =>
        _anonymous.PostAsync("/api/v1/licenses/borrow", new BorrowRequest(key, hardwareId, hours, null, new ClientInfo("laptop", "1.0", "linux")));

    private async Task<(Caller Vendor, LicenseResponse License)> LicenseAsync(int seats, int borrowMaxHours, DateTime? expiresAt = null)
    {
        var vendor = await _anonymous.RegisterAsync();
        var response = await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses",
            new CreateLicenseRequest($"Licence {Guid.NewGuid():N}", seats, expiresAt, ["export"], null, BorrowMaxHours: borrowMaxHours));
        var license = await response.ReadAsync<LicenseResponse>(HttpStatusCode.Created);
        license.BorrowMaxHours.ShouldBe(borrowMaxHours);
        return (vendor, license);
    }

    [Fact]
    public async Task Borrowing_is_off_by_default_and_limited_to_the_licence_hours()
    {
        var vendor = await _anonymous.RegisterAsync();
        var off = await vendor.CreateLicenseAsync(seats: 2);
        off.BorrowMaxHours.ShouldBe(0);
        var refused = await (await BorrowAsync(off.LicenseKey!, "laptop-1", 4)).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.BorrowingNotAllowed);
        refused.GetProperty("borrow_max_hours").GetInt32().ShouldBe(0);

        var (_, license) = await LicenseAsync(seats: 2, borrowMaxHours: 8);
        var tooLong = await (await BorrowAsync(license.LicenseKey!, "laptop-1", 9)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        tooLong.GetProperty("errors").GetProperty("hours").ToString().ShouldContain("8");
        await (await BorrowAsync(license.LicenseKey!, "laptop-1", 0)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        await (await BorrowAsync(license.LicenseKey!, "laptop-1", null)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);

        // Refusals hold no seat: both seats are still free.
        await _anonymous.AcquireSeatAsync(license.LicenseKey!, "desk-1");
        await _anonymous.AcquireSeatAsync(license.LicenseKey!, "desk-2");
    }

    [Fact]
    public async Task The_admin_sets_borrow_max_hours_on_create_and_update()
    {
        var (vendor, license) = await LicenseAsync(seats: 1, borrowMaxHours: 24);
        var path = $"{vendor.OrgPath}/licenses/{license.Id}";

        var updated = await (await vendor.Client.PatchAsync(path, new { borrow_max_hours = 72 })).ReadAsync<LicenseResponse>(HttpStatusCode.OK);
        updated.BorrowMaxHours.ShouldBe(72);
        (await vendor.Client.GetJsonAsync<LicenseResponse>(path)).BorrowMaxHours.ShouldBe(72);
        var negative = await (await vendor.Client.PatchAsync(path, new { borrow_max_hours = -1 })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        negative.GetProperty("errors").TryGetProperty("borrow_max_hours", out _).ShouldBeTrue();
        var off = await (await vendor.Client.PatchAsync(path, new { borrow_max_hours = 0 })).ReadAsync<LicenseResponse>(HttpStatusCode.OK);
        off.BorrowMaxHours.ShouldBe(0);
        await (await BorrowAsync(license.LicenseKey!, "laptop-1", 1)).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.BorrowingNotAllowed);
    }

    [Fact]
    public async Task A_borrowed_seat_holds_without_heartbeats_until_borrowed_until_and_the_sweeper_leaves_it()
    {
        var (vendor, license) = await LicenseAsync(seats: 1, borrowMaxHours: 8);
        var start = Now;

        var borrowed = await (await BorrowAsync(license.LicenseKey!, "laptop-1", 3)).ReadAsync<AcquireResponse>(HttpStatusCode.Created);

        borrowed.BorrowedUntil.ShouldNotBeNull();
        borrowed.BorrowedUntil.Value.ShouldBe(start + TimeSpan.FromHours(3), TimeSpan.FromSeconds(5));
        borrowed.ExpiresAt.ShouldBe(borrowed.BorrowedUntil.Value);
        var token = new JsonWebToken(borrowed.LeaseToken);
        token.GetPayloadValue<long>("borrowed_until").ShouldBe(new DateTimeOffset(borrowed.BorrowedUntil.Value).ToUnixTimeSeconds());
        token.ValidTo.ShouldBe(borrowed.BorrowedUntil.Value, TimeSpan.FromSeconds(1));
        var sessions = await vendor.Client.GetJsonAsync<PagedList<SessionResponse>>($"{vendor.OrgPath}/licenses/{license.Id}/sessions");
        sessions.Items.ShouldHaveSingleItem().BorrowedUntil!.Value.ShouldBe(borrowed.BorrowedUntil.Value, TimeSpan.FromMilliseconds(1));
        await (await _anonymous.AcquireAsync(license.LicenseKey!, "desk-1")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);

        // Two and a half hours offline, many lease TTLs, and sweeps: the seat is still the borrower's.
        app.Clock.Advance(TimeSpan.FromHours(2.5));
        var sweeper = app.Services.GetRequiredService<LeaseSweeper>();
        await sweeper.SweepOnceAsync(CancellationToken.None);
        await (await _anonymous.AcquireAsync(license.LicenseKey!, "desk-1")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);
        (await _anonymous.ValidateAsync(license.LicenseKey!, "laptop-1")).Code.ShouldBe(ValidationCodes.Valid);

        // A heartbeat (the borrower back online) never shortens the borrow.
        var beat = await (await _anonymous.HeartbeatAsync(license.LicenseKey!, borrowed.SessionId)).ReadAsync<HeartbeatResponse>(HttpStatusCode.OK);
        beat.ExpiresAt.ShouldBe(borrowed.ExpiresAt, TimeSpan.FromMilliseconds(1));
        beat.BorrowedUntil!.Value.ShouldBe(borrowed.BorrowedUntil.Value, TimeSpan.FromMilliseconds(1));
        new JsonWebToken(beat.LeaseToken).GetPayloadValue<long>("borrowed_until").ShouldBe(token.GetPayloadValue<long>("borrowed_until"));

        // Its time ends: the seat is free, with no release and no sweep.
        app.Clock.Advance(TimeSpan.FromHours(0.5) + TimeSpan.FromSeconds(1));
        await _anonymous.AcquireSeatAsync(license.LicenseKey!, "desk-1");
        await (await _anonymous.HeartbeatAsync(license.LicenseKey!, borrowed.SessionId)).ShouldBeProblemAsync(HttpStatusCode.Gone, ProblemCodes.SessionExpired);
        await sweeper.SweepOnceAsync(CancellationToken.None);
        (await _anonymous.ValidateAsync(license.LicenseKey!, "laptop-1")).Code.ShouldBe(ValidationCodes.HeartbeatDead);
    }

    [Fact]
    public async Task Release_returns_a_borrowed_seat_early()
    {
        var (_, license) = await LicenseAsync(seats: 1, borrowMaxHours: 48);
        var borrowed = await (await BorrowAsync(license.LicenseKey!, "laptop-1", 48)).ReadAsync<AcquireResponse>(HttpStatusCode.Created);
        await (await _anonymous.AcquireAsync(license.LicenseKey!, "desk-1")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);

        (await _anonymous.ReleaseAsync(license.LicenseKey!, borrowed.SessionId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await _anonymous.AcquireSeatAsync(license.LicenseKey!, "desk-1");
        await (await _anonymous.HeartbeatAsync(license.LicenseKey!, borrowed.SessionId)).ShouldBeProblemAsync(HttpStatusCode.Gone, ProblemCodes.SessionReleased);
    }

    [Fact]
    public async Task An_admin_kick_ends_a_borrow_at_the_borrowers_next_contact()
    {
        var (vendor, license) = await LicenseAsync(seats: 1, borrowMaxHours: 24);
        var borrowed = await (await BorrowAsync(license.LicenseKey!, "laptop-1", 24)).ReadAsync<AcquireResponse>(HttpStatusCode.Created);

        (await vendor.Client.DeleteAsync($"{vendor.OrgPath}/sessions/{borrowed.SessionId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await _anonymous.AcquireSeatAsync(license.LicenseKey!, "desk-1");
        await (await _anonymous.HeartbeatAsync(license.LicenseKey!, borrowed.SessionId)).ShouldBeProblemAsync(HttpStatusCode.Gone, ProblemCodes.SessionReleased);
        var kicked = await vendor.Client.GetJsonAsync<PagedList<SessionResponse>>($"{vendor.OrgPath}/licenses/{license.Id}/sessions?status=kicked");
        kicked.Items.ShouldHaveSingleItem().Id.ShouldBe(borrowed.SessionId);
    }

    [Fact]
    public async Task A_borrow_never_outlives_its_licence()
    {
        var licenseEnd = Now + TimeSpan.FromHours(2);
        var (_, license) = await LicenseAsync(seats: 1, borrowMaxHours: 24, expiresAt: licenseEnd);

        var borrowed = await (await BorrowAsync(license.LicenseKey!, "laptop-1", 24)).ReadAsync<AcquireResponse>(HttpStatusCode.Created);

        borrowed.BorrowedUntil.ShouldNotBeNull();
        borrowed.BorrowedUntil.Value.ShouldBe(licenseEnd, TimeSpan.FromSeconds(1));
        borrowed.ExpiresAt.ShouldBe(borrowed.BorrowedUntil.Value);
    }

    [Fact]
    public async Task A_machine_with_a_live_lease_borrows_its_own_seat_and_a_plain_acquire_ends_the_borrow()
    {
        var (_, license) = await LicenseAsync(seats: 2, borrowMaxHours: 8);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "laptop-1");
        lease.BorrowedUntil.ShouldBeNull();

        var borrowed = await (await BorrowAsync(license.LicenseKey!, "laptop-1", 8)).ReadAsync<AcquireResponse>(HttpStatusCode.OK);
        borrowed.SessionId.ShouldBe(lease.SessionId);
        borrowed.SeatsUsed.ShouldBe(1);
        borrowed.BorrowedUntil.ShouldNotBeNull();

        var back = await (await _anonymous.AcquireAsync(license.LicenseKey!, "laptop-1")).ReadAsync<AcquireResponse>(HttpStatusCode.OK);
        back.SessionId.ShouldBe(lease.SessionId);
        back.BorrowedUntil.ShouldBeNull();
        back.ExpiresAt.ShouldBeLessThan(borrowed.ExpiresAt);
        JsonDocument.Parse(Convert.FromBase64String(Pad(back.LeaseToken.Split('.')[1]))).RootElement
            .TryGetProperty("borrowed_until", out _).ShouldBeFalse();
    }

    private static string Pad(string base64Url)
    {
        var s = base64Url.Replace('-', '+').Replace('_', '/');
        return s + new string('=', (4 - (s.Length % 4)) % 4);
    }
}

public sealed class BorrowTestsOnSqlite(SqliteApp app) : BorrowTests<SqliteApp>(app);

public sealed class BorrowTestsOnPostgres(PostgresApp app) : BorrowTests<PostgresApp>(app);

public sealed class BorrowTestsOnRedis(RedisApp app) : BorrowTests<RedisApp>(app);

using Coditect.Client.Tests.Infrastructure;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;

namespace Coditect.Client.Tests.Leases;

/// <summary>Borrowed seats through the SDK against the real server (leases of 6 s, heartbeats every 2 s).</summary>
[Collection(SharedServerCollection.Name)]
public sealed class BorrowTests(RealServer server)
{
    [Fact]
    public async Task A_borrowed_seat_holds_with_no_heartbeat_verifies_offline_and_returns_early()
    {
        var vendor = await server.NewVendorAsync();
        var license = await vendor.NewLicenseAsync(seats: 1);
        (await vendor.Admin.SetBorrowMaxHoursAsync(vendor.Org, license.Id, 24)).BorrowMaxHours.ShouldBe(24);
        using var client = server.LicenseClient(license.LicenseKey!);

        var seat = await client.BorrowAsync("hw-plane", 12);

        seat.BorrowedUntil.ShouldBe(DateTimeOffset.UtcNow.AddHours(12), TimeSpan.FromMinutes(5));
        seat.ExpiresAt.ShouldBe(seat.BorrowedUntil);
        await Task.Delay(TimeSpan.FromSeconds(8)); // past a whole lease lifetime, and nothing heartbeats
        var token = await client.VerifyAsync(seat.Token, "hw-plane");
        token.IsBorrowed.ShouldBeTrue();
        token.BorrowedUntil!.Value.ShouldBe(seat.BorrowedUntil, TimeSpan.FromSeconds(1));
        (await client.ValidateAsync("hw-plane")).Code.ShouldBe(ValidationCodes.Valid);
        await Should.ThrowAsync<NoSeatsAvailableException>(() => client.AcquireAsync("hw-desk"));
        var sessions = await vendor.Admin.ListSessionsAsync(vendor.Org, license.Id);
        sessions.Items.ShouldHaveSingleItem().BorrowedUntil.ShouldNotBeNull();

        await client.ReturnAsync(seat);

        await using var desk = await client.AcquireAsync("hw-desk");
        desk.State.ShouldBe(LeaseState.Active);
    }

    [Fact]
    public async Task Borrowing_on_a_licence_that_does_not_allow_it_is_a_conflict_and_too_many_hours_invalid()
    {
        var vendor = await server.NewVendorAsync();
        var license = await vendor.NewLicenseAsync(seats: 1);
        using var client = server.LicenseClient(license.LicenseKey!);

        var off = await Should.ThrowAsync<ConflictException>(() => client.BorrowAsync("hw-plane", 1));
        off.Code.ShouldBe(ProblemCodes.BorrowingNotAllowed);

        await vendor.Admin.SetBorrowMaxHoursAsync(vendor.Org, license.Id, 4);
        var tooLong = await Should.ThrowAsync<InvalidRequestException>(() => client.BorrowAsync("hw-plane", 5));
        tooLong.Errors.ContainsKey("hours").ShouldBeTrue();
        await Should.ThrowAsync<ArgumentOutOfRangeException>(() => client.BorrowAsync("hw-plane", 0));
    }
}

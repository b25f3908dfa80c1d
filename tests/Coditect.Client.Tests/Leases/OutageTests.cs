using Coditect.Client.Tests.Infrastructure;
using Coditect.Contracts.Licensing;

namespace Coditect.Client.Tests.Leases;

/// <summary>
/// A server of its own, stopped and started again under a live lease. Leases of 60 s: a restart of the server on a busy
/// two-core CI machine, with the rest of the suite running beside it, can take well over 10 s, and the short outage
/// must stay clearly shorter than the lease.
/// </summary>
public sealed class ShortOutageServer : RealServer
{
    protected override int LeaseTtlSeconds => 60;
}

/// <summary>A server whose leases run out quickly (24 s), for the outage that outlasts them.</summary>
public sealed class LongOutageServer : RealServer
{
    protected override int LeaseTtlSeconds => 24;
}

public sealed class ShortOutageTests(ShortOutageServer server) : IClassFixture<ShortOutageServer>
{
    [Fact]
    public async Task A_lease_survives_an_outage_shorter_than_its_remaining_life_and_resumes()
    {
        var vendor = await server.NewVendorAsync();
        var license = await vendor.NewLicenseAsync();
        using var client = server.LicenseClient(license.LicenseKey!);
        await using var lease = await client.AcquireAsync("hw-short-outage");
        var lost = 0;
        var states = new List<LeaseState>();
        lease.Lost += (_, _) => Interlocked.Increment(ref lost);
        lease.StateChanged += (_, e) => { lock (states) { states.Add(e.Current); } };
        var renewed = lease.LastRenewedAt;
        await Eventually.TrueAsync(() => lease.LastRenewedAt > renewed, TimeSpan.FromSeconds(40), "a heartbeat succeeds");

        server.Stop();
        await Eventually.TrueAsync(() => lease.State == LeaseState.Renewing, TimeSpan.FromSeconds(40), "the lease notices the outage");
        lease.IsValid.ShouldBeTrue();
        await server.StartAsync();
        var back = DateTimeOffset.UtcNow;

        await Eventually.TrueAsync(() => lease.State == LeaseState.Active && lease.LastRenewedAt > back, TimeSpan.FromSeconds(45), "heartbeats resume");
        lost.ShouldBe(0);
        lock (states)
        {
            states.ShouldBe([LeaseState.Renewing, LeaseState.Active]);
        }

        (await client.ValidateAsync("hw-short-outage")).Code.ShouldBe(ValidationCodes.Valid);
    }
}

public sealed class LongOutageTests(LongOutageServer server) : IClassFixture<LongOutageServer>
{
    [Fact]
    public async Task An_outage_longer_than_the_lease_raises_Lost_exactly_once()
    {
        var vendor = await server.NewVendorAsync();
        var license = await vendor.NewLicenseAsync();
        using var client = server.LicenseClient(license.LicenseKey!);
        await using var lease = await client.AcquireAsync("hw-long-outage");
        var losses = new List<LeaseLostEventArgs>();
        lease.Lost += (_, e) => { lock (losses) { losses.Add(e); } };

        server.Stop();
        try
        {
            await Eventually.TrueAsync(() => lease.State == LeaseState.Lost, TimeSpan.FromSeconds(45), "the lease runs out");
            lease.IsValid.ShouldBeFalse();
            (DateTimeOffset.UtcNow >= lease.ExpiresAt).ShouldBeTrue();
        }
        finally
        {
            await server.StartAsync();
        }

        await Task.Delay(TimeSpan.FromSeconds(5)); // the server is back: nothing more may happen to a lost lease
        lock (losses)
        {
            losses.ShouldHaveSingleItem().Reason.ShouldBe(LeaseLossReason.LocalExpiry);
        }

        lease.State.ShouldBe(LeaseState.Lost);
        (await client.ValidateAsync("hw-long-outage")).Code.ShouldBe(ValidationCodes.HeartbeatDead);
    }
}

using Coditect.Client.Tests.Infrastructure;
using Coditect.Contracts.Licensing;

namespace Coditect.Client.Tests.Leases;

/// <summary>The SDK against the real server (leases of 6 s, heartbeats every 2 s).</summary>
[Collection(SharedServerCollection.Name)]
public sealed class LeaseTests(RealServer server)
{
    [Fact]
    public async Task A_lease_heartbeats_by_itself_through_many_TTLs()
    {
        var vendor = await server.NewVendorAsync();
        var license = await vendor.NewLicenseAsync();
        using var client = server.LicenseClient(license.LicenseKey!);
        await using var lease = await client.AcquireAsync("hw-many-ttls");
        var lost = 0;
        lease.Lost += (_, _) => Interlocked.Increment(ref lost);
        var firstToken = lease.Token;

        await Task.Delay(TimeSpan.FromSeconds(26)); // more than four lease lifetimes

        lost.ShouldBe(0);
        lease.State.ShouldBe(LeaseState.Active);
        lease.IsValid.ShouldBeTrue();
        lease.Token.ShouldNotBe(firstToken);
        (await client.ValidateAsync("hw-many-ttls")).Code.ShouldBe(ValidationCodes.Valid);
        var sessions = await vendor.Admin.ListSessionsAsync(vendor.Org, license.Id);
        sessions.Items.ShouldHaveSingleItem().Id.ShouldBe(lease.SessionId);
        sessions.Items[0].HeartbeatCount.ShouldBeGreaterThanOrEqualTo(8);
    }

    [Fact]
    public async Task Disposing_a_lease_frees_its_seat_for_another_machine_at_once()
    {
        var vendor = await server.NewVendorAsync();
        var license = await vendor.NewLicenseAsync(seats: 1);
        using var client = server.LicenseClient(license.LicenseKey!);
        var first = await client.AcquireAsync("hw-a");
        first.SeatsUsed.ShouldBe(1);

        var refused = await Should.ThrowAsync<NoSeatsAvailableException>(() => client.AcquireAsync("hw-b"));
        refused.SeatsTotal.ShouldBe(1);
        refused.SeatsUsed.ShouldBe(1);

        await first.DisposeAsync();
        first.State.ShouldBe(LeaseState.Released);
        await using var second = await client.AcquireAsync("hw-b");
        second.State.ShouldBe(LeaseState.Active);
        (await client.ValidateAsync("hw-a")).Code.ShouldBe(ValidationCodes.NoSession);
    }

    [Fact]
    public async Task Acquiring_again_from_the_same_machine_returns_the_same_session()
    {
        var vendor = await server.NewVendorAsync();
        var license = await vendor.NewLicenseAsync(seats: 1);
        using var client = server.LicenseClient(license.LicenseKey!);
        await using var first = await client.AcquireAsync("hw-same");
        await using var again = await client.AcquireAsync("hw-same");
        again.SessionId.ShouldBe(first.SessionId);
    }

    [Fact]
    public async Task A_kicked_session_raises_Lost_once_with_SessionReleased()
    {
        var vendor = await server.NewVendorAsync();
        var license = await vendor.NewLicenseAsync();
        using var client = server.LicenseClient(license.LicenseKey!);
        await using var lease = await client.AcquireAsync("hw-kicked");
        var losses = new List<LeaseLostEventArgs>();
        lease.Lost += (_, e) => { lock (losses) { losses.Add(e); } };

        await vendor.Admin.KickSessionAsync(vendor.Org, lease.SessionId);

        await Eventually.TrueAsync(() => lease.State == LeaseState.Lost, TimeSpan.FromSeconds(10), "the kicked lease is lost");
        await Task.Delay(TimeSpan.FromSeconds(3));
        losses.ShouldHaveSingleItem().Reason.ShouldBe(LeaseLossReason.SessionReleased);
        losses[0].Error.ShouldBeOfType<SessionReleasedException>();
        lease.IsValid.ShouldBeFalse();
    }

    [Fact]
    public async Task A_suspended_licence_ends_the_lease_and_refuses_new_ones()
    {
        var vendor = await server.NewVendorAsync();
        var license = await vendor.NewLicenseAsync();
        using var client = server.LicenseClient(license.LicenseKey!);
        await using var lease = await client.AcquireAsync("hw-suspended");
        LeaseLossReason? reason = null;
        lease.Lost += (_, e) => reason = e.Reason;

        await vendor.Admin.SuspendLicenseAsync(vendor.Org, license.Id);

        await Eventually.TrueAsync(() => reason is not null, TimeSpan.FromSeconds(10), "the lease is lost");
        reason.ShouldBe(LeaseLossReason.LicenseSuspended);
        await Should.ThrowAsync<LicenseSuspendedException>(() => client.AcquireAsync("hw-other"));
        (await client.ValidateAsync()).Code.ShouldBe(ValidationCodes.Suspended);
    }

    [Fact]
    public async Task An_unknown_key_is_LicenseNotFoundException_and_validates_as_NOT_FOUND()
    {
        using var client = server.LicenseClient("NOPE-NOPE-NOPE-NOPE");
        await Should.ThrowAsync<LicenseNotFoundException>(() => client.AcquireAsync("hw-x"));
        var answer = await client.ValidateAsync();
        answer.Valid.ShouldBeFalse();
        answer.Code.ShouldBe(ValidationCodes.NotFound);
        answer.License.ShouldBeNull();
    }

    [Fact]
    public async Task Offline_verification_accepts_the_real_token_and_rejects_a_tampered_one_and_another_machines()
    {
        var vendor = await server.NewVendorAsync();
        var orgId = await vendor.OrgIdAsync();
        var license = await vendor.NewLicenseAsync();
        var cache = Path.Combine(server.Folder, $"jwks-{Guid.NewGuid():N}.json");
        using var client = server.LicenseClient(license.LicenseKey!, new LicenseClientOptions { JwksCachePath = cache, OrganizationId = orgId });
        await using var lease = await client.AcquireAsync("hw-verify");
        await client.SigningKeys.GetAsync();
        File.Exists(cache).ShouldBeTrue();

        // An application starting with no network: only the cached keys of its organization.
        var offline = new SigningKeys(new Uri("http://127.0.0.1:1"),
            new LicenseClientOptions { JwksCachePath = cache, OrganizationId = orgId, Retry = new RetryPolicy { MaxAttempts = 1 } });
        var verified = await offline.VerifyAsync(lease.Token, "hw-verify");
        verified.SessionId.ShouldBe(lease.SessionId);
        verified.LicenseId.ShouldBe(license.Id);
        verified.Entitlements.ShouldBe(["pro"]);
        verified.SeatsTotal.ShouldBe(1);
        verified.Algorithm.ShouldBe("ES256");

        var keys = JsonWebKeySet.Load(cache);
        var parts = lease.Token.Split('.');
        var payload = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Pad(parts[1])));
        var forged = parts[0] + "." + Base64Url(payload.Replace("\"hw-verify\"", "\"hw-other\"")) + "." + parts[2];
        Should.Throw<LeaseTokenException>(() => LeaseToken.Verify(forged, keys, "hw-other", DateTimeOffset.UtcNow))
            .Reason.ShouldBe(LeaseTokenFailure.InvalidSignature);
        (await Should.ThrowAsync<LeaseTokenException>(() => offline.VerifyAsync(lease.Token, "hw-other")))
            .Reason.ShouldBe(LeaseTokenFailure.WrongHardware);
    }

    [Fact]
    public async Task An_organization_that_signs_with_EdDSA_gives_tokens_the_client_verifies_offline()
    {
        var vendor = await server.NewVendorAsync();
        var orgId = await vendor.OrgIdAsync();
        var rotated = await vendor.Admin.RotateSigningKeyAsync(vendor.Org, "EdDSA");
        rotated.Algorithm.ShouldBe("EdDSA");
        var license = await vendor.NewLicenseAsync();
        using var client = server.LicenseClient(license.LicenseKey!, new LicenseClientOptions { OrganizationId = orgId });
        await using var lease = await client.AcquireAsync("hw-eddsa");

        // Signed by libsodium on the server, checked by BouncyCastle here: two implementations of RFC 8032 agree.
        var verified = await client.VerifyAsync(lease.Token, "hw-eddsa");
        verified.Algorithm.ShouldBe("EdDSA");
        verified.KeyId.ShouldBe(rotated.KeyId);
        verified.SessionId.ShouldBe(lease.SessionId);
        var key = (await client.SigningKeys.GetAsync()).Find(rotated.KeyId)!;
        (key.Kty, key.Crv, key.Alg).ShouldBe(("OKP", "Ed25519", "EdDSA"));

        // A heartbeat's fresh token verifies too; a changed byte in the signed part does not.
        var beat = await client.HeartbeatAsync(lease.SessionId, TimeSpan.FromSeconds(5), CancellationToken.None);
        (await client.VerifyAsync(beat.LeaseToken, "hw-eddsa")).SessionId.ShouldBe(lease.SessionId);
        var parts = beat.LeaseToken.Split('.');
        var payload = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Pad(parts[1])));
        var forged = parts[0] + "." + Base64Url(payload.Replace("\"hw-eddsa\"", "\"hw-other\"")) + "." + parts[2];
        (await Should.ThrowAsync<LeaseTokenException>(() => client.VerifyAsync(forged, "hw-other"))).Reason.ShouldBe(LeaseTokenFailure.InvalidSignature);
    }

    [Fact]
    public async Task A_client_pinned_to_its_organization_rejects_another_tenants_token()
    {
        var vendor = await server.NewVendorAsync();
        var rival = await server.NewVendorAsync();
        var orgId = await vendor.OrgIdAsync();
        using var mine = server.LicenseClient((await vendor.NewLicenseAsync()).LicenseKey!, new LicenseClientOptions { OrganizationId = orgId });
        using var theirs = server.LicenseClient((await rival.NewLicenseAsync()).LicenseKey!);
        await using var ours = await mine.AcquireAsync("hw-pinned");
        await using var other = await theirs.AcquireAsync("hw-pinned");

        (await mine.VerifyAsync(ours.Token, "hw-pinned")).OrganizationId.ShouldBe(orgId);
        // The rival's token is real and for this machine, but signed with the rival's key: it never passes here.
        (await Should.ThrowAsync<LeaseTokenException>(() => mine.VerifyAsync(other.Token, "hw-pinned")))
            .Reason.ShouldBeOneOf(LeaseTokenFailure.UnknownKey, LeaseTokenFailure.WrongOrganization);
        var vendorKeys = await mine.SigningKeys.GetAsync();
        Should.Throw<LeaseTokenException>(() => LeaseToken.Verify(other.Token, vendorKeys, "hw-pinned", DateTimeOffset.UtcNow))
            .Reason.ShouldBe(LeaseTokenFailure.UnknownKey);

        // Unpinned, a client checks a token against the key set of the organization it names: the server signed it.
        (await theirs.VerifyAsync(other.Token, "hw-pinned")).OrganizationId.ShouldBe(await rival.OrgIdAsync());
        Should.Throw<InvalidOperationException>(() => { _ = theirs.SigningKeys.GetAsync(); });
    }

    [Fact]
    public async Task Release_twice_is_fine_and_a_released_session_cannot_heartbeat()
    {
        var vendor = await server.NewVendorAsync();
        var license = await vendor.NewLicenseAsync();
        using var client = server.LicenseClient(license.LicenseKey!);
        var lease = await client.AcquireAsync("hw-release");
        await lease.ReleaseAsync();
        await lease.ReleaseAsync();
        await client.ReleaseAsync(lease.SessionId);
        (await client.ValidateAsync("hw-release")).Code.ShouldBe(ValidationCodes.NoSession);
        await Should.ThrowAsync<SessionReleasedException>(() => client.HeartbeatAsync(lease.SessionId, TimeSpan.FromSeconds(5), CancellationToken.None));
    }

    private static string Pad(string s) => s.Replace('-', '+').Replace('_', '/') + new string('=', (4 - (s.Length % 4)) % 4);

    private static string Base64Url(string text) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

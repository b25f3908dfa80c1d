using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Coditect.Client.Tests.Tokens;

/// <summary>Offline verification of licence files and activation tokens against keys made here.</summary>
public sealed class LicenseFileTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid Org = Guid.NewGuid();
    private static readonly string[] Pro = ["pro"];
    private readonly ECDsa _trusted = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public void Dispose()
    {
        _trusted.Dispose();
        _stranger.Dispose();
    }

    [Fact]
    public void A_file_signed_by_a_trusted_key_verifies_with_no_network_and_exposes_the_terms()
    {
        var file = Download(Sign(_trusted, "k-1", "coditect-license+jwt", FileClaims()), Jwks(_trusted, "k-1"));

        var verified = LicenseFile.Verify(file, Jwks(_trusted, "k-1"), Org, Now);

        verified.SeatsTotal.ShouldBe(5);
        verified.HardwareId.ShouldBeNull();
        verified.Entitlements.ShouldBe(["pro"]);
        verified.Metadata.GetProperty("customer").GetString().ShouldBe("ACME");
        verified.ExpiresAt.ShouldBe(Now.AddDays(30));
        verified.LicenseType.ShouldBe("floating");
        LicenseFile.Verify(file.Split('"')[3], Jwks(_trusted, "k-1"), Org, Now).KeyId.ShouldBe("k-1", "the bare JWS verifies as well");
    }

    [Fact]
    public void A_file_signed_by_an_unknown_key_with_its_own_key_set_is_refused()
    {
        var forged = Download(Sign(_stranger, "k-evil", "coditect-license+jwt", FileClaims()), Jwks(_stranger, "k-evil"));

        Failure(forged).ShouldBe(LeaseTokenFailure.UnknownKey);
    }

    [Fact]
    public void An_embedded_key_that_reuses_a_trusted_kid_is_refused()
    {
        var forged = Download(Sign(_stranger, "k-1", "coditect-license+jwt", FileClaims()), Jwks(_stranger, "k-1"));

        Failure(forged).ShouldBe(LeaseTokenFailure.UnknownKey);
        var bare = Sign(_stranger, "k-1", "coditect-license+jwt", FileClaims());
        Failure(bare).ShouldBe(LeaseTokenFailure.InvalidSignature);
    }

    [Fact]
    public void Files_of_another_organization_machine_or_kind_and_expired_files_are_refused()
    {
        Failure(Sign(_trusted, "k-1", "coditect-license+jwt", FileClaims(org: Guid.NewGuid()))).ShouldBe(LeaseTokenFailure.WrongOrganization);
        var bound = Sign(_trusted, "k-1", "coditect-license+jwt", FileClaims(hardwareId: "hw-air"));
        Failure(bound).ShouldBe(LeaseTokenFailure.WrongHardware);
        LicenseFile.Verify(bound, Jwks(_trusted, "k-1"), Org, Now, "hw-air").HardwareId.ShouldBe("hw-air");
        Failure(Sign(_trusted, "k-1", "JWT", FileClaims())).ShouldBe(LeaseTokenFailure.Malformed, "a lease token is not a licence file");
        Should.Throw<LeaseTokenException>(() => LicenseFile.Verify(Sign(_trusted, "k-1", "coditect-license+jwt", FileClaims()), Jwks(_trusted, "k-1"), Org, Now.AddDays(31)))
            .Reason.ShouldBe(LeaseTokenFailure.Expired);
    }

    [Fact]
    public void An_activation_token_verifies_for_its_machine_only()
    {
        var machine = Guid.NewGuid();
        var token = Sign(_trusted, "k-1", "coditect-activation+jwt", new
        {
            iss = "coditect", sub = machine.ToString(), iat = Now.ToUnixTimeSeconds(), exp = Now.AddDays(30).ToUnixTimeSeconds(),
            license_id = Guid.NewGuid().ToString(), org_id = Org.ToString(), machine_id = machine.ToString(), hardware_id = "hw-1",
            license_type = "node_locked", entitlements = Pro, seats_total = 3,
        });

        var verified = ActivationToken.Verify(token, Jwks(_trusted, "k-1"), Org, "hw-1", Now);

        verified.MachineId.ShouldBe(machine);
        verified.SeatsTotal.ShouldBe(3);
        Should.Throw<LeaseTokenException>(() => ActivationToken.Verify(token, Jwks(_trusted, "k-1"), Org, "hw-2", Now)).Reason.ShouldBe(LeaseTokenFailure.WrongHardware);
        Should.Throw<LeaseTokenException>(() => ActivationToken.Verify(token, Jwks(_trusted, "k-1"), Guid.NewGuid(), "hw-1", Now)).Reason.ShouldBe(LeaseTokenFailure.WrongOrganization);
        Should.Throw<LeaseTokenException>(() => LeaseToken.Verify(token, Jwks(_trusted, "k-1"), "hw-1", Now))
            .Reason.ShouldBe(LeaseTokenFailure.Malformed, "an activation token never passes for a lease token");
    }

    private LeaseTokenFailure Failure(string file) =>
        Should.Throw<LeaseTokenException>(() => LicenseFile.Verify(file, Jwks(_trusted, "k-1"), Org, Now)).Reason;

    private static object FileClaims(Guid? org = null, string? hardwareId = null) => hardwareId is null
        ? new
        {
            iss = "coditect", sub = "l", iat = Now.ToUnixTimeSeconds(), exp = Now.AddDays(30).ToUnixTimeSeconds(),
            license_id = Guid.NewGuid().ToString(), org_id = (org ?? Org).ToString(), name = "Air", license_type = "floating",
            seats_total = 5, entitlements = Pro, license_expires_at = (long?)null, metadata = new { customer = "ACME" },
        }
        : new
        {
            iss = "coditect", sub = "l", iat = Now.ToUnixTimeSeconds(), exp = Now.AddDays(30).ToUnixTimeSeconds(),
            license_id = Guid.NewGuid().ToString(), org_id = (org ?? Org).ToString(), name = "Air", license_type = "floating",
            hardware_id = hardwareId, entitlements = Pro, license_expires_at = (long?)null, metadata = new { customer = "ACME" },
        };

    private static string Download(string token, JsonWebKeySet jwks) =>
        "{\"license_file\":\"" + token + "\",\"jwks\":" + jwks.Json + ",\"expires_at\":\"2026-12-21T12:00:00Z\"}";

    private static JsonWebKeySet Jwks(ECDsa key, string kid)
    {
        var p = key.ExportParameters(false);
        return JsonWebKeySet.Parse(JsonSerializer.Serialize(new
        {
            keys = new object[] { new { kty = "EC", kid, alg = "ES256", use = "sig", crv = "P-256", x = Encode(p.Q.X!), y = Encode(p.Q.Y!) } },
        }));
    }

    private static string Sign(ECDsa key, string kid, string typ, object claims)
    {
        var input = Encode(JsonSerializer.Serialize(new { alg = "ES256", kid, typ })) + "." + Encode(JsonSerializer.Serialize(claims));
        return input + "." + Encode(key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256));
    }

    private static string Encode(string text) => Encode(Encoding.UTF8.GetBytes(text));

    private static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

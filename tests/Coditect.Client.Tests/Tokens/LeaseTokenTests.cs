using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace Coditect.Client.Tests.Tokens;

/// <summary>Offline verification against keys made here: every check of <see cref="LeaseToken.Verify(string, JsonWebKeySet, string, DateTimeOffset, Guid?)"/>.</summary>
public sealed class LeaseTokenTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private readonly ECDsa _ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly Ed25519PrivateKeyParameters _ed = new(new SecureRandom());

    public void Dispose()
    {
        _ec.Dispose();
        _rsa.Dispose();
    }

    [Fact]
    public void A_token_signed_by_a_published_ES256_key_verifies_and_exposes_its_claims()
    {
        var session = Guid.NewGuid();
        var token = Es256(Claims(session: session));

        var verified = LeaseToken.Verify(token, Keys(), "hw-1", Now);

        verified.SessionId.ShouldBe(session);
        verified.HardwareId.ShouldBe("hw-1");
        verified.Entitlements.ShouldBe(["pro", "export"]);
        verified.SeatsTotal.ShouldBe(5);
        verified.ExpiresAt.ShouldBe(Now.AddMinutes(5));
        verified.KeyId.ShouldBe("ec-1");
        verified.Algorithm.ShouldBe("ES256");
    }

    [Fact]
    public void A_borrowed_seats_token_verifies_offline_until_borrowed_until_with_no_heartbeat()
    {
        var until = Now.AddHours(72);
        var claims = new
        {
            iss = "coditect",
            sub = Guid.NewGuid().ToString(),
            iat = Now.ToUnixTimeSeconds(),
            exp = until.ToUnixTimeSeconds(),
            jti = Guid.NewGuid().ToString("N"),
            license_id = Guid.NewGuid().ToString(),
            org_id = Guid.NewGuid().ToString(),
            hardware_id = "hw-1",
            entitlements = new[] { "pro" },
            seats_total = 1,
            borrowed_until = until.ToUnixTimeSeconds(),
        };
        var token = Es256(claims);

        var verified = LeaseToken.Verify(token, Keys(), "hw-1", Now.AddHours(71));

        verified.IsBorrowed.ShouldBeTrue();
        verified.BorrowedUntil.ShouldBe(until);
        Should.Throw<LeaseTokenException>(() => LeaseToken.Verify(token, Keys(), "hw-1", until)).Reason.ShouldBe(LeaseTokenFailure.Expired);
        LeaseToken.Verify(Es256(Claims()), Keys(), "hw-1", Now).IsBorrowed.ShouldBeFalse();
    }

    [Fact]
    public void A_token_signed_by_a_published_RS256_key_verifies()
    {
        var token = Sign(new { alg = "RS256", kid = "rsa-1", typ = "JWT" }, Claims(), data => _rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

        LeaseToken.Verify(token, Keys(), "hw-1", Now).Algorithm.ShouldBe("RS256");
    }

    [Fact]
    public void A_tampered_payload_fails_the_signature_check()
    {
        var parts = Es256(Claims()).Split('.');
        var forged = parts[0] + "." + Encode(Json(Claims(seats: 500))) + "." + parts[2];

        Failure(forged).ShouldBe(LeaseTokenFailure.InvalidSignature);
    }

    [Fact]
    public void A_token_for_another_machine_is_refused()
    {
        Should.Throw<LeaseTokenException>(() => LeaseToken.Verify(Es256(Claims()), Keys(), "hw-2", Now))
            .Reason.ShouldBe(LeaseTokenFailure.WrongHardware);
    }

    [Fact]
    public void An_expired_token_is_refused_at_and_after_its_exp()
    {
        var token = Es256(Claims());
        Should.Throw<LeaseTokenException>(() => LeaseToken.Verify(token, Keys(), "hw-1", Now.AddMinutes(5))).Reason.ShouldBe(LeaseTokenFailure.Expired);
        LeaseToken.Verify(token, Keys(), "hw-1", Now.AddMinutes(5).AddSeconds(-1)).ShouldNotBeNull();
    }

    [Fact]
    public void Alg_none_and_HMAC_are_refused_whatever_the_key_set_says()
    {
        var none = Encode(Json(new { alg = "none", kid = "ec-1" })) + "." + Encode(Json(Claims())) + ".AAAA";
        Failure(none).ShouldBe(LeaseTokenFailure.UnsupportedAlgorithm);

        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes("x"));
        var hs = Sign(new { alg = "HS256", kid = "ec-1" }, Claims(), hmac.ComputeHash);
        Failure(hs).ShouldBe(LeaseTokenFailure.UnsupportedAlgorithm);
    }

    [Fact]
    public void A_token_signed_by_a_published_Ed25519_key_verifies_and_one_from_another_key_does_not()
    {
        var session = Guid.NewGuid();

        var verified = LeaseToken.Verify(EdDsa(Claims(session: session), _ed), Keys(), "hw-1", Now);

        verified.SessionId.ShouldBe(session);
        verified.Algorithm.ShouldBe("EdDSA");
        verified.KeyId.ShouldBe("ed-1");
        Failure(EdDsa(Claims(), new Ed25519PrivateKeyParameters(new SecureRandom()))).ShouldBe(LeaseTokenFailure.InvalidSignature);
        var token = EdDsa(Claims(), _ed);
        var flipped = token[..^2] + (token[^2] == 'A' ? 'B' : 'A') + token[^1];
        Failure(flipped).ShouldBe(LeaseTokenFailure.InvalidSignature);
    }

    [Fact]
    public void EdDSA_with_an_EC_key_and_ES256_with_the_Ed25519_key_are_refused()
    {
        Failure(Sign(new { alg = "EdDSA", kid = "ec-1" }, Claims(), data => Ed25519Sign(_ed, data))).ShouldBe(LeaseTokenFailure.UnsupportedAlgorithm);
        Failure(Sign(new { alg = "ES256", kid = "ed-1" }, Claims(), data => _ec.SignData(data, HashAlgorithmName.SHA256)))
            .ShouldBe(LeaseTokenFailure.UnsupportedAlgorithm);
    }

    [Fact]
    public void A_token_naming_an_RSA_key_with_ES256_is_refused()
    {
        var token = Sign(new { alg = "ES256", kid = "rsa-1" }, Claims(), data => _ec.SignData(data, HashAlgorithmName.SHA256));
        Failure(token).ShouldBe(LeaseTokenFailure.UnsupportedAlgorithm);
    }

    [Fact]
    public void An_unknown_kid_is_reported_as_such_so_the_keys_can_be_refetched()
    {
        Failure(Sign(new { alg = "ES256", kid = "ec-9" }, Claims(), data => _ec.SignData(data, HashAlgorithmName.SHA256)))
            .ShouldBe(LeaseTokenFailure.UnknownKey);
    }

    [Fact]
    public void A_token_signed_by_another_key_under_a_published_kid_is_refused()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Failure(Sign(new { alg = "ES256", kid = "ec-1" }, Claims(), data => other.SignData(data, HashAlgorithmName.SHA256)))
            .ShouldBe(LeaseTokenFailure.InvalidSignature);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("a.b")]
    [InlineData("a.b.c.d")]
    [InlineData("!!.??.**")]
    public void Garbage_is_malformed(string token) => Failure(token).ShouldBe(LeaseTokenFailure.Malformed);

    [Fact]
    public void A_key_set_parses_from_JSON_and_refuses_a_document_without_keys()
    {
        var keys = JsonWebKeySet.Parse(Keys().Json);
        keys.Keys.Count.ShouldBe(3);
        keys.Find("ec-1")!.Crv.ShouldBe("P-256");
        keys.Find("ed-1")!.Crv.ShouldBe("Ed25519");
        Should.Throw<FormatException>(() => JsonWebKeySet.Parse("{}"));
        Should.Throw<FormatException>(() => JsonWebKeySet.Parse("not json"));
    }

    private LeaseTokenFailure Failure(string token) =>
        Should.Throw<LeaseTokenException>(() => LeaseToken.Verify(token, Keys(), "hw-1", Now)).Reason;

    private JsonWebKeySet Keys()
    {
        var ec = _ec.ExportParameters(false);
        var rsa = _rsa.ExportParameters(false);
        return JsonWebKeySet.Parse(Json(new
        {
            keys = new object[]
            {
                new { kty = "EC", kid = "ec-1", alg = "ES256", use = "sig", crv = "P-256", x = Encode(ec.Q.X!), y = Encode(ec.Q.Y!) },
                new { kty = "RSA", kid = "rsa-1", alg = "RS256", use = "sig", n = Encode(rsa.Modulus!), e = Encode(rsa.Exponent!) },
                new { kty = "OKP", kid = "ed-1", alg = "EdDSA", use = "sig", crv = "Ed25519", x = Encode(_ed.GeneratePublicKey().GetEncoded()) },
            },
        }));
    }

    private static object Claims(Guid? session = null, int seats = 5) => new
    {
        iss = "coditect",
        sub = (session ?? Guid.NewGuid()).ToString(),
        iat = Now.ToUnixTimeSeconds(),
        exp = Now.AddMinutes(5).ToUnixTimeSeconds(),
        jti = Guid.NewGuid().ToString("N"),
        license_id = Guid.NewGuid().ToString(),
        org_id = Guid.NewGuid().ToString(),
        hardware_id = "hw-1",
        entitlements = new[] { "pro", "export" },
        seats_total = seats,
    };

    private string Es256(object claims) =>
        Sign(new { alg = "ES256", kid = "ec-1", typ = "JWT" }, claims, data => _ec.SignData(data, HashAlgorithmName.SHA256));

    private static string EdDsa(object claims, Ed25519PrivateKeyParameters key) =>
        Sign(new { alg = "EdDSA", kid = "ed-1", typ = "JWT" }, claims, data => Ed25519Sign(key, data));

    private static byte[] Ed25519Sign(Ed25519PrivateKeyParameters key, byte[] data)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, key);
        signer.BlockUpdate(data, 0, data.Length);
        return signer.GenerateSignature();
    }

    private static string Sign(object header, object claims, Func<byte[], byte[]> sign)
    {
        var input = Encode(Json(header)) + "." + Encode(Json(claims));
        return input + "." + Encode(sign(Encoding.ASCII.GetBytes(input)));
    }

    private static string Json(object value) => JsonSerializer.Serialize(value);

    private static string Encode(string text) => Encode(Encoding.UTF8.GetBytes(text));

    private static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

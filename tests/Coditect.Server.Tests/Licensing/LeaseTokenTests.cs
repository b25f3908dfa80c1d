using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coditect.Server.Signing;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Coditect.Server.Tests.Licensing;

/// <summary>Lease tokens checked the way a customer would: a stock JWT library and the published JWKS.</summary>
public abstract class LeaseTokenTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    private Task<string> JwksAsync() => _anonymous.Http.GetStringAsync("/.well-known/jwks.json");

    [Fact]
    public async Task A_lease_token_verifies_against_the_published_keys_and_carries_the_lease()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 2, entitlements: ["export", "sso"]);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-1");

        var result = await LeaseTokenVerifier.VerifyAsync(lease.LeaseToken, await JwksAsync(), app.Clock);

        result.IsValid.ShouldBeTrue(result.Exception?.Message);
        var token = (JsonWebToken)result.SecurityToken;
        token.Alg.ShouldBe("ES256");
        token.Kid.ShouldNotBeNullOrEmpty();
        token.Subject.ShouldBe(lease.SessionId.ToString());
        token.GetClaim("license_id").Value.ShouldBe(license.Id.ToString());
        token.GetClaim("org_id").Value.ShouldBe(vendor.OrgId.ToString());
        token.GetClaim("hardware_id").Value.ShouldBe("machine-1");
        token.GetPayloadValue<int>("seats_total").ShouldBe(2);
        token.GetPayloadValue<string[]>("entitlements").ShouldBe(["export", "sso"]);
        token.ValidTo.ShouldBe(lease.ExpiresAt, TimeSpan.FromSeconds(1));
        token.Id.ShouldNotBeNullOrEmpty();
        token.IssuedAt.ShouldBe(app.Clock.GetUtcNow().UtcDateTime, TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task A_tampered_token_does_not_verify()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-1");
        var parts = lease.LeaseToken.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])).Replace("machine-1", "machine-2", StringComparison.Ordinal);
        var tampered = $"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}";

        (await LeaseTokenVerifier.VerifyAsync(tampered, await JwksAsync(), app.Clock)).IsValid.ShouldBeFalse();
    }

    [Fact]
    public async Task A_token_signed_by_another_key_or_with_alg_none_does_not_verify()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-1");
        var parts = lease.LeaseToken.Split('.');
        var jwks = await JwksAsync();

        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = $"{parts[0]}.{parts[1]}";
        var signature = stranger.SignData(Encoding.ASCII.GetBytes(forged), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        (await LeaseTokenVerifier.VerifyAsync($"{forged}.{Base64UrlEncoder.Encode(signature)}", jwks, app.Clock)).IsValid.ShouldBeFalse();

        var none = Base64UrlEncoder.Encode(JsonSerializer.Serialize(new { alg = "none", typ = "JWT" }));
        (await LeaseTokenVerifier.VerifyAsync($"{none}.{parts[1]}.", jwks, app.Clock)).IsValid.ShouldBeFalse();
    }

    [Fact]
    public async Task A_token_signed_before_a_rotation_verifies_until_it_expires()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 2);
        var before = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-1");
        var keys = app.Services.GetRequiredService<LeaseSigningKeys>();

        var newKid = await keys.RotateAsync(null, CancellationToken.None);

        var after = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-2");
        new JsonWebToken(after.LeaseToken).Kid.ShouldBe(newKid);
        new JsonWebToken(before.LeaseToken).Kid.ShouldNotBe(newKid);
        var jwks = await JwksAsync();
        (await LeaseTokenVerifier.VerifyAsync(before.LeaseToken, jwks, app.Clock)).IsValid.ShouldBeTrue("the old key is still published");
        (await LeaseTokenVerifier.VerifyAsync(after.LeaseToken, jwks, app.Clock)).IsValid.ShouldBeTrue();

        // The old key's leases have expired an hour later, but a borrowed seat, an activation token or a licence file it
        // signed lives on: its public key stays published for the longest of those, and then is withdrawn.
        app.Clock.Advance(TimeSpan.FromHours(1));
        await keys.LoadAsync(CancellationToken.None);
        var later = await JwksAsync();
        JsonDocument.Parse(later).RootElement.GetProperty("keys").EnumerateArray()
            .Select(k => k.GetProperty("kid").GetString()).ShouldContain(new JsonWebToken(before.LeaseToken).Kid);
        keys.PublicationWindow.ShouldBeGreaterThan(TimeSpan.FromDays(365), "a licence file lives up to Licensing:LicenseFileMaxDays");
    }
}

public sealed class LeaseTokenTestsOnSqlite(SqliteApp app) : LeaseTokenTests<SqliteApp>(app);

public sealed class LeaseTokenTestsOnPostgres(PostgresApp app) : LeaseTokenTests<PostgresApp>(app);

/// <summary>Verification as a customer's app would do it: a stock JWT library and the published JWKS, at the time its clock reads.</summary>
public static class LeaseTokenVerifier
{
    public static Task<TokenValidationResult> VerifyAsync(string token, string jwks, TimeProvider clock)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = new JsonWebKeySet(jwks).GetSigningKeys(),
            ValidIssuer = "coditect",
            ValidateAudience = false,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSha256],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.Zero,
            LifetimeValidator = (notBefore, expires, _, _) => (notBefore is null || notBefore <= now) && expires > now,
        });
    }
}

public sealed class LeaseTokenTestsOnRedis(RedisApp app) : LeaseTokenTests<RedisApp>(app);

using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Data;
using Coditect.Server.Signing;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Coditect.Server.Tests.Licensing;

/// <summary>Lease tokens checked the way a customer would: a stock JWT library and the organization's published JWKS.</summary>
public abstract class LeaseTokenTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    private Task<string> JwksAsync(Caller vendor) => _anonymous.Http.GetStringAsync($"/api/v1/orgs/{vendor.OrgId}/jwks.json");

    private static string[] KeyIds(string jwks) =>
        [.. JsonDocument.Parse(jwks).RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!)];

    [Fact]
    public async Task A_lease_token_verifies_against_the_published_keys_and_carries_the_lease()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 2, entitlements: ["export", "sso"]);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-1");

        var result = await LeaseTokenVerifier.VerifyAsync(lease.LeaseToken, await JwksAsync(vendor), app.Clock);

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

        (await LeaseTokenVerifier.VerifyAsync(tampered, await JwksAsync(vendor), app.Clock)).IsValid.ShouldBeFalse();
    }

    [Fact]
    public async Task A_token_signed_by_another_key_or_with_alg_none_does_not_verify()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-1");
        var parts = lease.LeaseToken.Split('.');
        var jwks = await JwksAsync(vendor);

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

        var newKid = await keys.RotateAsync(vendor.OrgId, null, CancellationToken.None);

        var after = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-2");
        new JsonWebToken(after.LeaseToken).Kid.ShouldBe(newKid);
        new JsonWebToken(before.LeaseToken).Kid.ShouldNotBe(newKid);
        var jwks = await JwksAsync(vendor);
        (await LeaseTokenVerifier.VerifyAsync(before.LeaseToken, jwks, app.Clock)).IsValid.ShouldBeTrue("the old key is still published");
        KeyIds(jwks).Length.ShouldBe(2);
        (await LeaseTokenVerifier.VerifyAsync(after.LeaseToken, jwks, app.Clock)).IsValid.ShouldBeTrue();

        // The old key's leases have expired an hour later, but a borrowed seat, an activation token or a licence file it
        // signed lives on: its public key stays published for the longest of those, and then is withdrawn.
        app.Clock.Advance(TimeSpan.FromHours(1));
        await keys.RefreshAsync(CancellationToken.None);
        var later = await JwksAsync(vendor);
        JsonDocument.Parse(later).RootElement.GetProperty("keys").EnumerateArray()
            .Select(k => k.GetProperty("kid").GetString()).ShouldContain(new JsonWebToken(before.LeaseToken).Kid);
        keys.PublicationWindow.ShouldBeGreaterThan(TimeSpan.FromDays(365), "a licence file lives up to Licensing:LicenseFileMaxDays");
    }

    [Fact]
    public async Task Each_organization_signs_with_its_own_key_and_another_tenants_token_does_not_verify()
    {
        var vendor = await _anonymous.RegisterAsync();
        var rival = await _anonymous.RegisterAsync();
        var mine = await _anonymous.AcquireSeatAsync((await vendor.CreateLicenseAsync(seats: 1)).LicenseKey!, "machine-1");
        // The rival licenses itself the same machine with every entitlement: its token must not pass in the vendor's app.
        var theirs = await _anonymous.AcquireSeatAsync((await rival.CreateLicenseAsync(seats: 1, entitlements: ["export", "sso"])).LicenseKey!, "machine-1");

        var vendorKeys = await JwksAsync(vendor);
        var rivalKeys = await JwksAsync(rival);
        KeyIds(vendorKeys).ShouldNotBeEmpty();
        KeyIds(vendorKeys).Intersect(KeyIds(rivalKeys)).ShouldBeEmpty();
        new JsonWebToken(mine.LeaseToken).Kid.ShouldBeOneOf(KeyIds(vendorKeys));
        (await LeaseTokenVerifier.VerifyAsync(mine.LeaseToken, vendorKeys, app.Clock)).IsValid.ShouldBeTrue();
        var crossed = await LeaseTokenVerifier.VerifyAsync(theirs.LeaseToken, vendorKeys, app.Clock);
        crossed.IsValid.ShouldBeFalse("a token signed with another organization's key, whatever it claims");
        (await LeaseTokenVerifier.VerifyAsync(theirs.LeaseToken, rivalKeys, app.Clock)).IsValid.ShouldBeTrue();

        // The platform key set signs nothing new: neither organization's key is in it.
        var platform = KeyIds(await _anonymous.Http.GetStringAsync("/.well-known/jwks.json"));
        platform.Intersect([.. KeyIds(vendorKeys), .. KeyIds(rivalKeys)]).ShouldBeEmpty();
    }

    [Fact]
    public async Task An_unknown_organization_has_no_key_set()
    {
        var response = await _anonymous.GetAsync($"/api/v1/orgs/{Guid.NewGuid()}/jwks.json");
        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.OrgNotFound);
    }

    [Fact]
    public async Task An_owner_rotates_the_organizations_key_through_the_api_and_the_next_token_uses_it()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 2);
        var before = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-1");
        var first = await vendor.Client.GetJsonAsync<PagedList<SigningKeyResponse>>(
            $"{vendor.OrgPath}/signing-keys");
        first.Items.Count.ShouldBe(1);
        first.Items[0].Current.ShouldBeTrue();
        first.Items[0].KeyId.ShouldBe(new JsonWebToken(before.LeaseToken).Kid);

        var refused = await (await vendor.Client.PostAsync($"{vendor.OrgPath}/signing-keys/rotate", new { algorithm = "HS256" }))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        refused.GetRawText().ShouldContain("algorithm");
        refused.GetRawText().ShouldContain("ES256, EdDSA or RS256");
        var rotated = await (await vendor.Client.PostAsync($"{vendor.OrgPath}/signing-keys/rotate", new { }))
            .ReadAsync<SigningKeyResponse>(HttpStatusCode.Created);
        rotated.Current.ShouldBeTrue();
        rotated.Algorithm.ShouldBe("ES256");

        var after = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-2");
        new JsonWebToken(after.LeaseToken).Kid.ShouldBe(rotated.KeyId);
        var keys = await vendor.Client.GetJsonAsync<PagedList<SigningKeyResponse>>(
            $"{vendor.OrgPath}/signing-keys");
        keys.Items.Select(k => k.KeyId).ShouldBe([rotated.KeyId, first.Items[0].KeyId]);
        keys.Items[1].Current.ShouldBeFalse();
        keys.Items[1].PublishedUntil.ShouldNotBeNull();
        keys.Items[1].PublishedUntil!.Value.ShouldBeGreaterThan(keys.Items[1].RetiredAt!.Value.AddDays(365));
        (await LeaseTokenVerifier.VerifyAsync(before.LeaseToken, await JwksAsync(vendor), app.Clock)).IsValid.ShouldBeTrue("the retired key stays published");

        var audit = await vendor.Client.GetJsonAsync<PagedList<Coditect.Contracts.Audit.AuditEventResponse>>(
            $"{vendor.OrgPath}/audit-events?action=signing_key.rotated");
        audit.Items.Single().ObjectId.ShouldBe(Guid.ParseExact(rotated.KeyId, "N").ToString());

        // A member may read the keys but not rotate them.
        var member = await vendor.AddMemberAsync("member");
        (await member.Client.GetAsync($"{vendor.OrgPath}/signing-keys")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await member.Client.PostAsync($"{vendor.OrgPath}/signing-keys/rotate", new { })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task An_EdDSA_key_signs_tokens_that_verify_against_its_published_OKP_key()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var rotated = await (await vendor.Client.PostAsync($"{vendor.OrgPath}/signing-keys/rotate", new { algorithm = "EdDSA" }))
            .ReadAsync<SigningKeyResponse>(HttpStatusCode.Created);
        rotated.Algorithm.ShouldBe("EdDSA");

        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-1");

        var token = new JsonWebToken(lease.LeaseToken);
        (token.Alg, token.Kid, token.Typ).ShouldBe(("EdDSA", rotated.KeyId, "JWT"));
        token.GetClaim("hardware_id").Value.ShouldBe("machine-1");
        token.GetClaim("org_id").Value.ShouldBe(vendor.OrgId.ToString());
        token.ValidTo.ShouldBe(lease.ExpiresAt, TimeSpan.FromSeconds(1));
        var jwk = JsonDocument.Parse(await JwksAsync(vendor)).RootElement.GetProperty("keys").EnumerateArray()
            .Single(k => k.GetProperty("kid").GetString() == rotated.KeyId);
        (jwk.GetProperty("kty").GetString(), jwk.GetProperty("crv").GetString(), jwk.GetProperty("alg").GetString(), jwk.GetProperty("use").GetString())
            .ShouldBe(("OKP", "Ed25519", "EdDSA", "sig"));
        jwk.TryGetProperty("d", out _).ShouldBeFalse("only the public half is published");

        // RFC 8032 verification of the compact JWS with the published x alone.
        var publicKey = NSec.Cryptography.PublicKey.Import(NSec.Cryptography.SignatureAlgorithm.Ed25519,
            Base64UrlEncoder.DecodeBytes(jwk.GetProperty("x").GetString()), NSec.Cryptography.KeyBlobFormat.RawPublicKey);
        var parts = lease.LeaseToken.Split('.');
        var input = Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}");
        var signature = Base64UrlEncoder.DecodeBytes(parts[2]);
        NSec.Cryptography.SignatureAlgorithm.Ed25519.Verify(publicKey, input, signature).ShouldBeTrue();
        input[^1] ^= 1;
        NSec.Cryptography.SignatureAlgorithm.Ed25519.Verify(publicKey, input, signature).ShouldBeFalse();
    }

    [Fact]
    public async Task An_organization_without_a_key_gets_one_at_start()
    {
        var vendor = await _anonymous.RegisterAsync();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
            // As an organization made before migration 0023 has none.
            await db.Set<ServerKey>().Where(k => k.OrganizationId == vendor.OrgId).ExecuteDeleteAsync();
        }

        await app.Services.GetRequiredService<LeaseSigningKeys>().LoadAsync(CancellationToken.None);

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
            var keys = await db.Set<ServerKey>().Where(k => k.OrganizationId == vendor.OrgId).ToListAsync();
            keys.Count.ShouldBe(1);
            keys[0].RetiredAt.ShouldBeNull();
        }

        var lease = await _anonymous.AcquireSeatAsync((await vendor.CreateLicenseAsync(seats: 1)).LicenseKey!, "machine-1");
        (await LeaseTokenVerifier.VerifyAsync(lease.LeaseToken, await JwksAsync(vendor), app.Clock)).IsValid.ShouldBeTrue();
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

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace Coditect.Client;

/// <summary>
/// A verified lease token: the server's signed statement that a machine holds a seat until <see cref="ExpiresAt"/>.
/// <see cref="Verify(string, JsonWebKeySet, string, DateTimeOffset, Guid?)"/> checks it offline against the server's published keys, so an application can trust the seat it
/// holds without reaching the server.
/// </summary>
public sealed class LeaseToken
{
    /// <summary>
    /// The signature algorithms accepted: <c>ES256</c>, <c>EdDSA</c> (Ed25519, RFC 8037) and <c>RS256</c>. <c>none</c> and
    /// HMAC algorithms are refused by design.
    /// </summary>
    public static readonly IReadOnlyList<string> AllowedAlgorithms = ["ES256", "EdDSA", "RS256"];

    private LeaseToken(string raw, string algorithm, string keyId, JsonElement claims)
    {
        Raw = raw;
        Algorithm = algorithm;
        KeyId = keyId;
        Issuer = Text(claims, "iss");
        SessionId = Guid.TryParse(Text(claims, "sub"), out var session)
            ? session
            : throw Fail(LeaseTokenFailure.Malformed, "The token's sub claim is not a session id.");
        Id = Text(claims, "jti");
        LicenseId = Guid.TryParse(Text(claims, "license_id"), out var license) ? license : Guid.Empty;
        OrganizationId = Guid.TryParse(Text(claims, "org_id"), out var org) ? org : Guid.Empty;
        HardwareId = Text(claims, "hardware_id") ?? "";
        IssuedAt = Time(claims, "iat") ?? DateTimeOffset.MinValue;
        ExpiresAt = Time(claims, "exp") ?? DateTimeOffset.MinValue;
        BorrowedUntil = Time(claims, "borrowed_until");
        SeatsTotal = claims.TryGetProperty("seats_total", out var seats) && seats.ValueKind == JsonValueKind.Number && seats.TryGetInt32(out var n) ? n : 0;
        Entitlements = claims.TryGetProperty("entitlements", out var e) && e.ValueKind == JsonValueKind.Array
            ? [.. e.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!)]
            : [];
    }

    /// <summary>The compact JWS as received.</summary>
    public string Raw { get; }

    /// <summary>The signature algorithm (<c>alg</c>).</summary>
    public string Algorithm { get; }

    /// <summary>The id of the key that signed it (<c>kid</c>).</summary>
    public string KeyId { get; }

    /// <summary>The issuing server (<c>iss</c>).</summary>
    public string? Issuer { get; }

    /// <summary>The session that holds the seat (<c>sub</c>).</summary>
    public Guid SessionId { get; }

    /// <summary>The token's unique id (<c>jti</c>).</summary>
    public string? Id { get; }

    /// <summary>The licence (<c>license_id</c>).</summary>
    public Guid LicenseId { get; }

    /// <summary>The vendor's organization (<c>org_id</c>).</summary>
    public Guid OrganizationId { get; }

    /// <summary>The machine the seat is held for (<c>hardware_id</c>).</summary>
    public string HardwareId { get; }

    /// <summary>The licence's entitlements (<c>entitlements</c>): the features the vendor unlocked.</summary>
    public IReadOnlyList<string> Entitlements { get; }

    /// <summary>The licence's seats when the token was signed (<c>seats_total</c>).</summary>
    public int SeatsTotal { get; }

    /// <summary>When the token was signed (<c>iat</c>).</summary>
    public DateTimeOffset IssuedAt { get; }

    /// <summary>When the lease runs out unless renewed (<c>exp</c>).</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>
    /// Set on a borrowed seat (<c>borrowed_until</c>, equal to <c>exp</c>): the token is valid offline, with no heartbeat,
    /// until then.
    /// </summary>
    public DateTimeOffset? BorrowedUntil { get; }

    /// <summary>True for a borrowed seat's token (see <see cref="BorrowedUntil"/>).</summary>
    public bool IsBorrowed => BorrowedUntil is not null;

    /// <summary>
    /// Verifies a lease token offline. Checks, in order: the compact JWS shape; <c>alg</c> is one of
    /// <see cref="AllowedAlgorithms"/> and no unknown <c>crit</c> header is present; <c>kid</c> names a key in
    /// <paramref name="keys"/> of the matching type (EC P-256 for ES256, OKP Ed25519 for EdDSA, RSA of at least 2048 bits for
    /// RS256) and, where the
    /// key declares them, the same <c>alg</c> and <c>use</c> <c>sig</c>; the signature; <c>exp</c> is after
    /// <paramref name="now"/> (and <c>nbf</c>, if present, not after it); <c>hardware_id</c> equals
    /// <paramref name="expectedHardwareId"/>.
    /// </summary>
    /// <param name="token">The compact JWS (<see cref="Lease.Token"/>).</param>
    /// <param name="keys">The server's public keys (<see cref="SigningKeys.GetAsync(CancellationToken)"/> or <see cref="JsonWebKeySet.Load"/>).</param>
    /// <param name="expectedHardwareId">The machine the token must be for, usually <see cref="Client.HardwareId.Default"/>.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The verified token and its claims.</returns>
    /// <exception cref="LeaseTokenException">Any check failed; <see cref="LeaseTokenException.Reason"/> says which.</exception>
    public static LeaseToken Verify(string token, JsonWebKeySet keys, string expectedHardwareId, DateTimeOffset now) =>
        Verify(token, keys, expectedHardwareId, now, null);

    /// <summary>
    /// Verifies a lease token offline as <see cref="Verify(string, JsonWebKeySet, string, DateTimeOffset)"/> does, and, when
    /// <paramref name="expectedOrganizationId"/> is given, that the vendor's organization issued it (<c>org_id</c>).
    /// With <paramref name="keys"/> from the organization's own key set (<see cref="SigningKeys"/> with
    /// <see cref="LicenseClientOptions.OrganizationId"/>), a token another tenant's licence gave cannot pass.
    /// </summary>
    /// <param name="token">The compact JWS (<see cref="Lease.Token"/>).</param>
    /// <param name="keys">The organization's public keys.</param>
    /// <param name="expectedHardwareId">The machine the token must be for.</param>
    /// <param name="now">The current time.</param>
    /// <param name="expectedOrganizationId">The vendor's organization id, fixed in the application; null skips the check.</param>
    /// <returns>The verified token and its claims.</returns>
    /// <exception cref="LeaseTokenException">Any check failed; <see cref="LeaseTokenException.Reason"/> says which.</exception>
    public static LeaseToken Verify(string token, JsonWebKeySet keys, string expectedHardwareId, DateTimeOffset now, Guid? expectedOrganizationId)
    {
        var parts = (token ?? "").Trim().Split('.');
        if (parts.Length != 3 || parts.Any(p => p.Length == 0))
        {
            throw Fail(LeaseTokenFailure.Malformed, "A lease token has three dot-separated parts.");
        }

        using var header = ParsePart(parts[0], "header");
        var algorithm = Text(header.RootElement, "alg");
        if (algorithm is null || !AllowedAlgorithms.Contains(algorithm))
        {
            throw Fail(LeaseTokenFailure.UnsupportedAlgorithm, $"The token's algorithm '{algorithm ?? "(none)"}' is not accepted.");
        }

        if (header.RootElement.TryGetProperty("crit", out _))
        {
            throw Fail(LeaseTokenFailure.Malformed, "The token has critical header parameters this client does not understand.");
        }

        if (Text(header.RootElement, "typ") is { } type && !string.Equals(type, "JWT", StringComparison.OrdinalIgnoreCase))
        {
            // Activation tokens and licence files are signed by the same keys; their typ keeps them from passing for a lease.
            throw Fail(LeaseTokenFailure.Malformed, $"This is not a lease token (typ is {type}).");
        }

        var kid = Text(header.RootElement, "kid");
        var key = kid is null ? null : keys.Find(kid);
        if (key is null)
        {
            throw Fail(LeaseTokenFailure.UnknownKey, $"No published key has the token's key id '{kid ?? "(none)"}'.");
        }

        if ((key.Alg is not null && key.Alg != algorithm) || (key.Use is not null && key.Use != "sig"))
        {
            throw Fail(LeaseTokenFailure.UnsupportedAlgorithm, $"Key '{kid}' is not for {algorithm} signatures.");
        }

        byte[] signature;
        try
        {
            signature = Base64Url.Decode(parts[2]);
        }
        catch (FormatException)
        {
            throw Fail(LeaseTokenFailure.Malformed, "The token's signature is not base64url.");
        }

        var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        if (!SignatureIsValid(algorithm, key, signed, signature))
        {
            throw Fail(LeaseTokenFailure.InvalidSignature, "The token's signature does not match its content.");
        }

        using var payload = ParsePart(parts[1], "payload");
        var claims = payload.RootElement;
        if (claims.ValueKind != JsonValueKind.Object)
        {
            throw Fail(LeaseTokenFailure.Malformed, "The token's payload is not a JSON object.");
        }

        var expires = Time(claims, "exp") ?? throw Fail(LeaseTokenFailure.Malformed, "The token has no exp claim.");
        if (now >= expires)
        {
            throw Fail(LeaseTokenFailure.Expired, $"The lease token expired at {expires.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)}.");
        }

        if (Time(claims, "nbf") is { } notBefore && now < notBefore)
        {
            throw Fail(LeaseTokenFailure.NotYetValid, "The lease token is not valid yet.");
        }

        var hardware = Text(claims, "hardware_id");
        if (!string.Equals(hardware, expectedHardwareId, StringComparison.Ordinal))
        {
            throw Fail(LeaseTokenFailure.WrongHardware, "The lease token is for another machine.");
        }

        if (expectedOrganizationId is { } organization && !(Guid.TryParse(Text(claims, "org_id"), out var issuer) && issuer == organization))
        {
            throw Fail(LeaseTokenFailure.WrongOrganization, "The lease token was issued by another organization than the one expected.");
        }

        return new LeaseToken(token!.Trim(), algorithm, kid!, claims.Clone());
    }

    /// <summary>The <c>org_id</c> a token claims, unverified: which organization's key set to fetch when none is pinned.</summary>
    internal static Guid? ClaimedOrganization(string token)
    {
        var parts = (token ?? "").Trim().Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            using var payload = ParsePart(parts[1], "payload");
            return payload.RootElement.ValueKind == JsonValueKind.Object && Guid.TryParse(Text(payload.RootElement, "org_id"), out var id) ? id : null;
        }
        catch (LeaseTokenException)
        {
            return null;
        }
    }

    internal static bool SignatureIsValid(string algorithm, JsonWebKey key, byte[] signed, byte[] signature)
    {
        try
        {
            return algorithm switch
            {
                "ES256" => Es256IsValid(key, signed, signature),
                "EdDSA" => EdDsaIsValid(key, signed, signature),
                _ => Rs256IsValid(key, signed, signature),
            };
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            return false;
        }
    }

    private static bool Es256IsValid(JsonWebKey key, byte[] signed, byte[] signature)
    {
        if (key.Kty != "EC" || key.Crv != "P-256" || key.X is null || key.Y is null)
        {
            throw Fail(LeaseTokenFailure.UnsupportedAlgorithm, $"Key '{key.Kid}' is not an EC P-256 key.");
        }

        var x = Base64Url.Decode(key.X);
        var y = Base64Url.Decode(key.Y);
        if (x.Length != 32 || y.Length != 32 || signature.Length != 64)
        {
            return false;
        }

        // JWS carries ES256 signatures as r||s (IEEE P1363), which is what ECDsa.VerifyData expects by default.
        using var ecdsa = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = x, Y = y } });
        return ecdsa.VerifyData(signed, signature, HashAlgorithmName.SHA256);
    }

    private static bool EdDsaIsValid(JsonWebKey key, byte[] signed, byte[] signature)
    {
        // RFC 8037: an octet key pair on Ed25519, x the 32-byte public key; Ed448 is not offered by the server.
        if (key.Kty != "OKP" || key.Crv != "Ed25519" || key.X is null)
        {
            throw Fail(LeaseTokenFailure.UnsupportedAlgorithm, $"Key '{key.Kid}' is not an OKP Ed25519 key.");
        }

        var x = Base64Url.Decode(key.X);
        if (x.Length != Ed25519PublicKeyParameters.KeySize || signature.Length != Ed25519.SignatureSize)
        {
            return false;
        }

        // BouncyCastle's verification is strict RFC 8032 (canonical S, point decoding checked): a mangled signature or
        // key fails here rather than throwing.
        return Ed25519.Verify(signature, 0, x, 0, signed, 0, signed.Length);
    }

    private static bool Rs256IsValid(JsonWebKey key, byte[] signed, byte[] signature)
    {
        if (key.Kty != "RSA" || key.N is null || key.E is null)
        {
            throw Fail(LeaseTokenFailure.UnsupportedAlgorithm, $"Key '{key.Kid}' is not an RSA key.");
        }

        var modulus = Base64Url.Decode(key.N);
        if (modulus.SkipWhile(b => b == 0).Count() * 8 < 2048)
        {
            throw Fail(LeaseTokenFailure.UnsupportedAlgorithm, $"Key '{key.Kid}' is shorter than 2048 bits.");
        }

        using var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters { Modulus = modulus, Exponent = Base64Url.Decode(key.E) });
        return rsa.VerifyData(signed, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    internal static JsonDocument ParsePart(string part, string name)
    {
        try
        {
            var document = JsonDocument.Parse(Base64Url.Decode(part));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw Fail(LeaseTokenFailure.Malformed, $"The token's {name} is not a JSON object.");
            }

            return document;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw Fail(LeaseTokenFailure.Malformed, $"The token's {name} is not base64url JSON.");
        }
    }

    internal static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    internal static DateTimeOffset? Time(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    internal static LeaseTokenException Fail(LeaseTokenFailure reason, string message) => new(reason, message);
}

/// <summary>Which check a lease token failed.</summary>
public enum LeaseTokenFailure
{
    /// <summary>Not a compact JWS, or a part is not base64url JSON, or a required claim is missing.</summary>
    Malformed,

    /// <summary>The algorithm is not allowed, or the key is of the wrong type or size for it.</summary>
    UnsupportedAlgorithm,

    /// <summary>No published key has the token's <c>kid</c>.</summary>
    UnknownKey,

    /// <summary>The signature does not match: the token was altered or signed by another key.</summary>
    InvalidSignature,

    /// <summary><c>exp</c> has passed.</summary>
    Expired,

    /// <summary><c>nbf</c> has not come yet.</summary>
    NotYetValid,

    /// <summary>The token is for another machine.</summary>
    WrongHardware,

    /// <summary>The token, activation token or licence file was issued by another organization than the expected one.</summary>
    WrongOrganization,
}

/// <summary>A lease token failed verification (<see cref="CoditectException.Code"/> <c>LEASE_TOKEN_INVALID</c>, status 0).</summary>
public sealed class LeaseTokenException : CoditectException
{
    /// <summary>The code of every lease token failure.</summary>
    public const string InvalidCode = "LEASE_TOKEN_INVALID";

    /// <summary>Creates the error.</summary>
    /// <param name="reason">The check that failed.</param>
    /// <param name="message">A human-readable sentence.</param>
    public LeaseTokenException(LeaseTokenFailure reason, string message)
        : base(InvalidCode, 0, message) => Reason = reason;

    /// <summary>The check that failed.</summary>
    public LeaseTokenFailure Reason { get; }

    /// <inheritdoc />
    public override bool IsTransient => false;
}

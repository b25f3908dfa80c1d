using System.Text;
using System.Text.Json;

namespace Coditect.Client;

/// <summary>
/// The checks every signed statement of the server shares (activation tokens, licence files): compact JWS shape, an
/// allowed <c>alg</c>, no <c>crit</c>, the expected <c>typ</c>, a trusted key by <c>kid</c>, the signature, <c>exp</c> and
/// <c>nbf</c>, and the expected <c>org_id</c> (offline checks are bound to the vendor). Failures are
/// <see cref="LeaseTokenException"/>s, as for lease tokens.
/// </summary>
internal static class SignedJws
{
    public static (string Algorithm, string KeyId, JsonElement Claims) Verify(
        string token, JsonWebKeySet keys, string expectedType, Guid expectedOrganizationId, DateTimeOffset now, string what)
    {
        var parts = (token ?? "").Trim().Split('.');
        if (parts.Length != 3 || parts.Any(p => p.Length == 0))
        {
            throw LeaseToken.Fail(LeaseTokenFailure.Malformed, $"A {what} has three dot-separated parts.");
        }

        using var header = LeaseToken.ParsePart(parts[0], "header");
        var algorithm = LeaseToken.Text(header.RootElement, "alg");
        if (algorithm is null || !LeaseToken.AllowedAlgorithms.Contains(algorithm))
        {
            throw LeaseToken.Fail(LeaseTokenFailure.UnsupportedAlgorithm, $"The {what}'s algorithm '{algorithm ?? "(none)"}' is not accepted.");
        }

        if (header.RootElement.TryGetProperty("crit", out _))
        {
            throw LeaseToken.Fail(LeaseTokenFailure.Malformed, $"The {what} has critical header parameters this client does not understand.");
        }

        if (!string.Equals(LeaseToken.Text(header.RootElement, "typ"), expectedType, StringComparison.Ordinal))
        {
            throw LeaseToken.Fail(LeaseTokenFailure.Malformed, $"This is not a {what} (typ is not {expectedType}).");
        }

        var kid = LeaseToken.Text(header.RootElement, "kid");
        var key = kid is null ? null : keys.Find(kid);
        if (key is null)
        {
            throw LeaseToken.Fail(LeaseTokenFailure.UnknownKey, $"No trusted key has the {what}'s key id '{kid ?? "(none)"}'.");
        }

        if ((key.Alg is not null && key.Alg != algorithm) || (key.Use is not null && key.Use != "sig"))
        {
            throw LeaseToken.Fail(LeaseTokenFailure.UnsupportedAlgorithm, $"Key '{kid}' is not for {algorithm} signatures.");
        }

        byte[] signature;
        try
        {
            signature = Base64Url.Decode(parts[2]);
        }
        catch (FormatException)
        {
            throw LeaseToken.Fail(LeaseTokenFailure.Malformed, $"The {what}'s signature is not base64url.");
        }

        if (!LeaseToken.SignatureIsValid(algorithm, key, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature))
        {
            throw LeaseToken.Fail(LeaseTokenFailure.InvalidSignature, $"The {what}'s signature does not match its content.");
        }

        using var payload = LeaseToken.ParsePart(parts[1], "payload");
        var claims = payload.RootElement;
        var expires = LeaseToken.Time(claims, "exp") ?? throw LeaseToken.Fail(LeaseTokenFailure.Malformed, $"The {what} has no exp claim.");
        if (now >= expires)
        {
            throw LeaseToken.Fail(LeaseTokenFailure.Expired, $"The {what} expired at {expires.UtcDateTime:u}.");
        }

        if (LeaseToken.Time(claims, "nbf") is { } notBefore && now < notBefore)
        {
            throw LeaseToken.Fail(LeaseTokenFailure.NotYetValid, $"The {what} is not valid yet.");
        }

        if (!Guid.TryParse(LeaseToken.Text(claims, "org_id"), out var org) || org != expectedOrganizationId)
        {
            throw LeaseToken.Fail(LeaseTokenFailure.WrongOrganization, $"The {what} was issued by another organization than the one expected.");
        }

        return (algorithm, kid!, claims.Clone());
    }

    public static Guid Id(JsonElement claims, string name) => Guid.TryParse(LeaseToken.Text(claims, name), out var id) ? id : Guid.Empty;

    public static IReadOnlyList<string> Entitlements(JsonElement claims) =>
        claims.TryGetProperty("entitlements", out var e) && e.ValueKind == JsonValueKind.Array
            ? [.. e.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!)]
            : [];

    public static int? Int(JsonElement claims, string name) =>
        claims.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : null;
}

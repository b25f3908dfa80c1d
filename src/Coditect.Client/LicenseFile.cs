using System.Text.Json;

namespace Coditect.Client;

/// <summary>
/// A verified licence file: the vendor's signed statement of a licence's terms for a machine that never reaches the
/// server (docs/licensing.md, "Licence files for air-gapped machines"). <see cref="Verify"/> needs no network.
/// </summary>
public sealed class LicenseFile
{
    /// <summary>The <c>typ</c> header of licence files.</summary>
    public const string Type = "coditect-license+jwt";

    private LicenseFile(string raw, string keyId, JsonElement claims)
    {
        Raw = raw;
        KeyId = keyId;
        LicenseId = SignedJws.Id(claims, "license_id");
        OrganizationId = SignedJws.Id(claims, "org_id");
        Name = LeaseToken.Text(claims, "name");
        LicenseType = LeaseToken.Text(claims, "license_type") ?? "floating";
        HardwareId = LeaseToken.Text(claims, "hardware_id");
        SeatsTotal = SignedJws.Int(claims, "seats_total");
        Entitlements = SignedJws.Entitlements(claims);
        LicenseExpiresAt = LeaseToken.Time(claims, "license_expires_at");
        Metadata = claims.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
            ? metadata.Clone()
            : JsonDocument.Parse("{}").RootElement.Clone();
        IssuedAt = LeaseToken.Time(claims, "iat") ?? DateTimeOffset.MinValue;
        ExpiresAt = LeaseToken.Time(claims, "exp") ?? DateTimeOffset.MinValue;
    }

    /// <summary>The compact JWS.</summary>
    public string Raw { get; }

    /// <summary>The id of the key that signed it (<c>kid</c>).</summary>
    public string KeyId { get; }

    /// <summary>The licence (<c>license_id</c>).</summary>
    public Guid LicenseId { get; }

    /// <summary>The vendor's organization (<c>org_id</c>).</summary>
    public Guid OrganizationId { get; }

    /// <summary>The licence's name.</summary>
    public string? Name { get; }

    /// <summary>The licence's type: <c>floating</c> or <c>node_locked</c>.</summary>
    public string LicenseType { get; }

    /// <summary>The machine the file is bound to, or null for a file of the licence as a whole.</summary>
    public string? HardwareId { get; }

    /// <summary>The licence's seats (or machines), for a file of the licence as a whole; null for a machine's file.</summary>
    public int? SeatsTotal { get; }

    /// <summary>The licence's entitlements.</summary>
    public IReadOnlyList<string> Entitlements { get; }

    /// <summary>The licence's own expiry, or null for a perpetual licence.</summary>
    public DateTimeOffset? LicenseExpiresAt { get; }

    /// <summary>The licence's metadata (a JSON object).</summary>
    public JsonElement Metadata { get; }

    /// <summary>When the file was issued (<c>iat</c>).</summary>
    public DateTimeOffset IssuedAt { get; }

    /// <summary>When the file stops being valid (<c>exp</c>): never after the licence's expiry.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>
    /// Verifies a licence file offline. <paramref name="file"/> is the downloaded JSON (<c>{license_file, jwks, ...}</c>,
    /// what <c>coditect licenses file</c> saves) or the bare JWS. The key set inside the file is never trusted on its own:
    /// the signing key is looked up by <c>kid</c> in <paramref name="trustedKeys"/> (keys the application already trusts,
    /// e.g. shipped with it), and when the file embeds a key set, its key with that <c>kid</c> must be the same key.
    /// Then the checks of <see cref="LeaseToken.Verify(string, JsonWebKeySet, string, DateTimeOffset, Guid?)"/>, <c>typ</c> <see cref="Type"/>, <c>org_id</c> equal to
    /// <paramref name="expectedOrganizationId"/>, and, for a file bound to a machine, <c>hardware_id</c> equal to
    /// <paramref name="expectedHardwareId"/>.
    /// </summary>
    /// <param name="file">The licence file's text.</param>
    /// <param name="trustedKeys">The keys the verifier trusts.</param>
    /// <param name="expectedOrganizationId">The vendor's organization id, fixed in the application.</param>
    /// <param name="now">The current time.</param>
    /// <param name="expectedHardwareId">This machine; required to accept a file bound to a machine.</param>
    /// <returns>The verified licence file.</returns>
    /// <exception cref="LeaseTokenException">A check failed; <see cref="LeaseTokenException.Reason"/> says which.</exception>
    public static LicenseFile Verify(string file, JsonWebKeySet trustedKeys, Guid expectedOrganizationId, DateTimeOffset now,
        string? expectedHardwareId = null)
    {
        var (token, embedded) = Read(file);
        if (embedded is not null)
        {
            var kid = KeyIdOf(token);
            var own = kid is null ? null : embedded.Find(kid);
            var trusted = kid is null ? null : trustedKeys.Find(kid);
            if (own is null || trusted is null)
            {
                throw LeaseToken.Fail(LeaseTokenFailure.UnknownKey,
                    $"The licence file was signed with key '{kid ?? "(none)"}', which is not among the trusted keys.");
            }

            if (!SameKey(own, trusted))
            {
                throw LeaseToken.Fail(LeaseTokenFailure.UnknownKey, $"The licence file's key '{kid}' is not the trusted key with that id.");
            }
        }

        var (_, keyId, claims) = SignedJws.Verify(token, trustedKeys, Type, expectedOrganizationId, now, "licence file");
        var hardware = LeaseToken.Text(claims, "hardware_id");
        if (hardware is not null && !string.Equals(hardware, expectedHardwareId, StringComparison.Ordinal))
        {
            throw LeaseToken.Fail(LeaseTokenFailure.WrongHardware, "The licence file is for another machine.");
        }

        return new LicenseFile(token, keyId, claims);
    }

    private static (string Token, JsonWebKeySet? Embedded) Read(string file)
    {
        var text = (file ?? "").Trim();
        if (text.Length == 0 || text[0] != '{')
        {
            return (text, null);
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            var token = root.TryGetProperty("license_file", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
            var embedded = root.TryGetProperty("jwks", out var j) && j.ValueKind == JsonValueKind.Object ? JsonWebKeySet.Parse(j.GetRawText()) : null;
            return (token, embedded);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw LeaseToken.Fail(LeaseTokenFailure.Malformed, "The licence file is neither a JWS nor the JSON the server issues.");
        }
    }

    private static string? KeyIdOf(string token)
    {
        var dot = token.IndexOf('.');
        if (dot <= 0)
        {
            throw LeaseToken.Fail(LeaseTokenFailure.Malformed, "A licence file has three dot-separated parts.");
        }

        using var header = LeaseToken.ParsePart(token.Substring(0, dot), "header");
        return LeaseToken.Text(header.RootElement, "kid");
    }

    private static bool SameKey(JsonWebKey a, JsonWebKey b) =>
        a.Kty == b.Kty && a.Crv == b.Crv && a.X == b.X && a.Y == b.Y && a.N == b.N && a.E == b.E;
}

using System.Text.Json;

namespace Coditect.Client;

/// <summary>
/// A verified activation token: the server's signed statement that a machine is activated on a node-locked licence until
/// <see cref="ExpiresAt"/> (the licence's expiry). <see cref="Verify"/> checks it offline, as a lease token is checked.
/// </summary>
public sealed class ActivationToken
{
    /// <summary>The <c>typ</c> header of activation tokens; a lease token or licence file never carries it.</summary>
    public const string Type = "coditect-activation+jwt";

    private ActivationToken(string raw, string keyId, JsonElement claims)
    {
        Raw = raw;
        KeyId = keyId;
        MachineId = SignedJws.Id(claims, "machine_id");
        LicenseId = SignedJws.Id(claims, "license_id");
        OrganizationId = SignedJws.Id(claims, "org_id");
        HardwareId = LeaseToken.Text(claims, "hardware_id") ?? "";
        Entitlements = SignedJws.Entitlements(claims);
        SeatsTotal = SignedJws.Int(claims, "seats_total") ?? 0;
        IssuedAt = LeaseToken.Time(claims, "iat") ?? DateTimeOffset.MinValue;
        ExpiresAt = LeaseToken.Time(claims, "exp") ?? DateTimeOffset.MinValue;
    }

    /// <summary>The compact JWS as received.</summary>
    public string Raw { get; }

    /// <summary>The id of the key that signed it (<c>kid</c>).</summary>
    public string KeyId { get; }

    /// <summary>The activated machine (<c>machine_id</c>).</summary>
    public Guid MachineId { get; }

    /// <summary>The licence (<c>license_id</c>).</summary>
    public Guid LicenseId { get; }

    /// <summary>The vendor's organization (<c>org_id</c>).</summary>
    public Guid OrganizationId { get; }

    /// <summary>The machine's hardware fingerprint (<c>hardware_id</c>).</summary>
    public string HardwareId { get; }

    /// <summary>The licence's entitlements when the token was signed.</summary>
    public IReadOnlyList<string> Entitlements { get; }

    /// <summary>The licence's machine cap when the token was signed (<c>seats_total</c>).</summary>
    public int SeatsTotal { get; }

    /// <summary>When the token was signed (<c>iat</c>).</summary>
    public DateTimeOffset IssuedAt { get; }

    /// <summary>When the activation runs out offline (<c>exp</c>): the licence's expiry; activate again to renew it.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>
    /// Verifies an activation token offline: the checks of <see cref="LeaseToken.Verify(string, JsonWebKeySet, string, DateTimeOffset, Guid?)"/> (shape, algorithm, a key of
    /// <paramref name="keys"/> by <c>kid</c>, signature, <c>exp</c>, <c>nbf</c>), plus <c>typ</c>
    /// <see cref="Type"/>, <c>org_id</c> equal to <paramref name="expectedOrganizationId"/> (fixed by the vendor in the
    /// application) and <c>hardware_id</c> equal to <paramref name="expectedHardwareId"/>.
    /// </summary>
    /// <param name="token">The compact JWS (<c>ActivateResponse.ActivationToken</c>).</param>
    /// <param name="keys">The server's public keys (<see cref="SigningKeys.GetAsync(CancellationToken)"/> or <see cref="JsonWebKeySet.Load"/>).</param>
    /// <param name="expectedOrganizationId">The vendor's organization id, fixed in the application.</param>
    /// <param name="expectedHardwareId">This machine, usually <see cref="Client.HardwareId.Default"/>.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The verified token.</returns>
    /// <exception cref="LeaseTokenException">A check failed; <see cref="LeaseTokenException.Reason"/> says which.</exception>
    public static ActivationToken Verify(string token, JsonWebKeySet keys, Guid expectedOrganizationId, string expectedHardwareId, DateTimeOffset now)
    {
        var (_, kid, claims) = SignedJws.Verify(token, keys, Type, expectedOrganizationId, now, "activation token");
        if (!string.Equals(LeaseToken.Text(claims, "hardware_id"), expectedHardwareId, StringComparison.Ordinal))
        {
            throw LeaseToken.Fail(LeaseTokenFailure.WrongHardware, "The activation token is for another machine.");
        }

        return new ActivationToken(token.Trim(), kid, claims);
    }
}

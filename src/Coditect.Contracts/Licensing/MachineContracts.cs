using System.Text.Json;

namespace Coditect.Contracts.Licensing;

// Node-locked licences (machine activations) and signed licence files (docs/licensing.md).

/// <summary>Activates a machine on a node-locked licence; the same hardware id again is idempotent.</summary>
public sealed record ActivateRequest(string? LicenseKey, string? HardwareId, string? Name = null, string? Platform = null);

/// <summary>
/// An activated machine. <c>ActivationToken</c> is a compact JWS (ES256, EdDSA or RS256: the lease-token keys) naming the licence,
/// the machine and its hardware id, valid until <c>ExpiresAt</c>; verify it offline like a lease token.
/// </summary>
public sealed record ActivateResponse(Guid MachineId, string ActivationToken, DateTime ExpiresAt, int SeatsTotal, int MachinesUsed);

public sealed record DeactivateRequest(string? LicenseKey, string? HardwareId);

/// <summary>A machine activated on a node-locked licence.</summary>
public sealed record MachineResponse(
    Guid Id,
    Guid LicenseId,
    string HardwareId,
    string? Name,
    string? Platform,
    DateTime ActivatedAt,
    DateTime LastSeenAt);

/// <summary>Asks for a licence file: for one machine (<c>HardwareId</c>) or, without it, for the licence as a whole.</summary>
public sealed record LicenseFileRequest(string? HardwareId = null);

/// <summary>
/// A signed licence file (<c>LicenseFile</c>, a compact JWS) and the public key set of the key that signed it. A verifier
/// matches <c>Jwks</c>' keys by <c>kid</c> against keys it already trusts; it never trusts them on their own.
/// </summary>
public sealed record LicenseFileResponse(string LicenseFile, JsonElement Jwks, DateTime ExpiresAt);

namespace Coditect.Contracts.Licensing;

// The organization's lease signing keys (docs/licensing.md, "Your organization's signing keys").

/// <summary>
/// One of the organization's signing keys. <c>KeyId</c> is the <c>kid</c> its tokens name. The current key signs; a
/// retired key stays in the organization's JWKS until <c>PublishedUntil</c>, when nothing it signed can still be valid.
/// </summary>
public sealed record SigningKeyResponse(string KeyId, string Algorithm, bool Current, DateTime CreatedAt, DateTime? RetiredAt, DateTime? PublishedUntil);

/// <summary>Makes a new signing key and retires the current one; <c>Algorithm</c> <c>ES256</c>, <c>EdDSA</c> or <c>RS256</c> (default: the server's setting).</summary>
public sealed record RotateSigningKeyRequest(string? Algorithm = null);

using Coditect.Server.Data;

namespace Coditect.Server.Identity;

/// <summary>A person who signs in. Users are not tenant-owned: one user may belong to several organizations.</summary>
[NotAudited] // a person, not a tenant's object; sign-ins and profile changes are not audit events
public sealed class User : Entity
{
    public required string Email { get; set; }

    /// <summary>Lower-cased, trimmed email: the unique login key.</summary>
    public required string NormalizedEmail { get; set; }

    public required string Name { get; set; }

    [NotAudited]
    public required string PasswordHash { get; set; }

    /// <summary>Platform staff is a flag on the user, never a tenant role.</summary>
    public bool IsStaff { get; set; }

    /// <summary>
    /// Changes whenever the password does (change or reset): a console session carries the stamp it signed in with and
    /// ends at its next request once the stamp differs.
    /// </summary>
    [NotAudited]
    public string SecurityStamp { get; set; } = NewSecurityStamp();

    /// <summary>When the person proved the address is theirs (a verification link, or an accepted invitation); null until then.</summary>
    public DateTime? EmailVerifiedAt { get; set; }

    /// <summary>The notification e-mail kinds the person turned off, a JSON array (security mail cannot be).</summary>
    public string MutedEmailKinds { get; set; } = "[]";

    public static string NewSecurityStamp() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    public static string Normalize(string email) => email.Trim().ToLowerInvariant();
}

/// <summary>
/// One refresh token, stored as a SHA-256 hash. Tokens rotate: each use spends the token and issues the next one
/// in the same <see cref="FamilyId"/>; presenting a spent token revokes the whole family.
/// </summary>
[NotAudited]
public sealed class RefreshToken : Entity
{
    public Guid UserId { get; set; }
    public Guid FamilyId { get; set; }

    [NotAudited]
    public required string TokenHash { get; set; }

    public DateTime ExpiresAt { get; set; }
    public DateTime? SpentAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}

/// <summary>
/// A single-use token mailed to a person: a password reset (an hour) or an address verification. Only its SHA-256 is
/// stored; spending it is a conditional update, so of two concurrent uses one wins.
/// </summary>
[NotAudited]
public sealed class UserToken : Entity
{
    public const string PasswordReset = "password_reset";
    public const string EmailVerification = "email_verification";

    public Guid UserId { get; set; }
    public required string Purpose { get; set; }

    [NotAudited]
    public required string TokenHash { get; set; }

    public DateTime ExpiresAt { get; set; }
    public DateTime? UsedAt { get; set; }
}

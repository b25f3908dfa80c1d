using System.ComponentModel.DataAnnotations;

namespace Coditect.Server.Identity;

/// <summary><c>Identity:*</c> settings.</summary>
public sealed class IdentityOptions
{
    public const string Section = "Identity";

    [Required]
    public string Issuer { get; set; } = "coditect";

    [Required]
    public string Audience { get; set; } = "coditect-api";

    [Range(60, 86_400)]
    public int AccessTokenLifetimeSeconds { get; set; } = 3600;

    [Range(3600, 90 * 86_400)]
    public int RefreshTokenLifetimeSeconds { get; set; } = 7 * 86_400;

    /// <summary>PBKDF2-HMAC-SHA256 iterations for new hashes; OWASP's 2023 figure is 600,000.</summary>
    [Range(10_000, 10_000_000)]
    public int PasswordHashIterations { get; set; } = 600_000;

    [Range(1, 365)]
    public int InvitationLifetimeDays { get; set; } = 7;
}

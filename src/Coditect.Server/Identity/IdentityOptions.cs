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

    /// <summary>Argon2id memory per password hash, in KiB (OWASP: 19 MiB with 2 passes and 1 lane). New hashes only.</summary>
    [Range(1024, 4_194_304)]
    public int Argon2MemoryKiB { get; set; } = 19_456;

    /// <summary>Argon2id passes over the memory.</summary>
    [Range(1, 100)]
    public int Argon2Iterations { get; set; } = 2;

    /// <summary>Argon2id lanes.</summary>
    [Range(1, 16)]
    public int Argon2Parallelism { get; set; } = 1;

    /// <summary>Password hashes computed at once on a node (sign-ins, sign-ups); the rest wait their turn. Bounds the CPU
    /// and the memory (<see cref="Argon2MemoryKiB"/> each) that password checks can take.</summary>
    [Range(1, 1024)]
    public int PasswordHashConcurrency { get; set; } = Environment.ProcessorCount;

    [Range(1, 365)]
    public int InvitationLifetimeDays { get; set; } = 7;

    /// <summary>How long a password reset link works.</summary>
    [Range(5, 24 * 60)]
    public int PasswordResetMinutes { get; set; } = 60;

    /// <summary>Sign-in answers 403 <c>EMAIL_NOT_VERIFIED</c> until the person followed the link mailed at sign-up.</summary>
    public bool RequireEmailVerification { get; set; }

    /// <summary>How long an address verification link works.</summary>
    [Range(1, 30)]
    public int EmailVerificationDays { get; set; } = 3;

    /// <summary>A console session ends after this long without a request (sliding: each request renews it).</summary>
    [Range(5, 7 * 24 * 60)]
    public int ConsoleSessionMinutes { get; set; } = 12 * 60;
}

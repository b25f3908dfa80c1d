namespace Coditect.Contracts.Identity;

/// <summary>
/// A sign-up: with <c>OrganizationName</c> the new user owns a new organization; with <c>InvitationToken</c> instead,
/// they join the invitation's organization with its role (<c>Email</c> must be the invited one).
/// </summary>
public sealed record RegisterRequest(string? Email, string? Password, string? Name, string? OrganizationName, string? InvitationToken = null);

public sealed record LoginRequest(string? Email, string? Password);

public sealed record RefreshRequest(string? RefreshToken);

public sealed record UserResponse(Guid Id, string Email, string Name);

public sealed record OrganizationSummary(Guid Id, string Slug, string Name);

/// <summary>The answer to register, login and refresh. <c>ExpiresIn</c> is the access token's lifetime in seconds.</summary>
public sealed record TokenResponse(
    string AccessToken,
    string RefreshToken,
    string TokenType,
    int ExpiresIn,
    UserResponse User,
    OrganizationSummary? Organization);

public sealed record MeResponse(Guid Id, string Email, string Name, IReadOnlyList<MyOrganization> Organizations);

public sealed record MyOrganization(Guid Id, string Slug, string Name, string Role);

/// <summary>Asks for a password reset link (or a new address verification link) to be mailed.</summary>
public sealed record EmailRequest(string? Email);

public sealed record ResetPasswordRequest(string? Token, string? Password);

public sealed record VerifyEmailRequest(string? Token);

/// <summary>The same answer whether or not the address has an account.</summary>
public sealed record MailQueuedResponse(string Message);

/// <summary>A notification e-mail kind and whether the person gets it; security mail is not listed (it always goes).</summary>
public sealed record EmailPreference(string Kind, string Description, bool Enabled);

public sealed record EmailPreferencesResponse(IReadOnlyList<EmailPreference> Kinds);

/// <summary>The notification kinds to turn off; every other kind is on.</summary>
public sealed record UpdateEmailPreferencesRequest(IReadOnlyList<string>? Muted);

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

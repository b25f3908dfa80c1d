namespace Coditect.Contracts.Identity;

public sealed record RegisterRequest(string? Email, string? Password, string? Name, string? OrganizationName);

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

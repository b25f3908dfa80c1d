namespace Coditect.Contracts.Organizations;

public sealed record CreateOrganizationRequest(string? Name, string? Slug);

public sealed record UpdateOrganizationRequest(string? Name, string? Slug);

/// <summary>An organization as its caller sees it. <c>SuspendedAt</c> is set while platform staff have suspended it.</summary>
public sealed record OrganizationResponse(Guid Id, string Slug, string Name, string Role, DateTime CreatedAt, DateTime UpdatedAt, DateTime? SuspendedAt = null);

public sealed record MemberResponse(Guid UserId, string Email, string Name, string Role, DateTime JoinedAt);

public sealed record UpdateMemberRequest(string? Role);

public sealed record CreateInvitationRequest(string? Email, string? Role);

/// <summary>An invitation. <c>Token</c> is present only in the answer to its creation.</summary>
public sealed record InvitationResponse(Guid Id, string Email, string Role, DateTime ExpiresAt, DateTime CreatedAt, string? Token);

public sealed record CreateApiKeyRequest(string? Name, string? Role);

/// <summary>An API key. <c>Key</c> is present only in the answer to its creation.</summary>
public sealed record ApiKeyResponse(
    Guid Id,
    string Name,
    string Role,
    string Prefix,
    DateTime CreatedAt,
    DateTime? LastUsedAt,
    DateTime? RevokedAt,
    string? Key);

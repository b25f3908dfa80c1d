using Coditect.Server.Data;

namespace Coditect.Server.Organizations;

/// <summary>The tenant. Its <see cref="Entity.Id"/> is the <c>tenant_id</c> of every row it owns.</summary>
[Audited]
public sealed class Organization : Entity
{
    public required string Slug { get; set; }
    public required string Name { get; set; }

    /// <summary>
    /// Set by platform staff: the organization's licences refuse acquire and heartbeat (403 <c>ORGANIZATION_SUSPENDED</c>)
    /// and its members cannot act in it, until staff lift it. Separate from any licence's own state.
    /// </summary>
    public DateTime? SuspendedAt { get; set; }
}

/// <summary>A user's role in one organization.</summary>
[Audited]
public sealed class Membership : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid UserId { get; set; }
    public Role Role { get; set; }
}

/// <summary>A single-use invitation to join an organization, stored by the hash of its token.</summary>
[Audited]
public sealed class Invitation : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }
    public required string Email { get; set; }
    public Role Role { get; set; }

    [NotAudited]
    public required string TokenHash { get; set; }

    /// <summary>Null when an API key sent the invitation.</summary>
    public Guid? InvitedByUserId { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? AcceptedAt { get; set; }
    public Guid? AcceptedByUserId { get; set; }
}

/// <summary>A service token for automation, acting in one organization with one role. Stored by hash; shown once.</summary>
[Audited]
public sealed class ApiKey : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }
    public required string Name { get; set; }
    public Role Role { get; set; }

    /// <summary>The first characters of the key, enough to recognise it in a list.</summary>
    public required string Prefix { get; set; }

    [NotAudited]
    public required string KeyHash { get; set; }

    public Guid? CreatedByUserId { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}

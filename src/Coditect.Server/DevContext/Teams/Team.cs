using Coditect.Server.Data;

namespace Coditect.Server.DevContext.Teams;

/// <summary>A group of the organization's members; a project may belong to one team.</summary>
[Audited]
public sealed class Team : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }
    public required string Name { get; set; }
    public required string Slug { get; set; }
    public string? Description { get; set; }
}

/// <summary>An organization member in a team, as its <c>lead</c> or a <c>member</c>.</summary>
[Audited]
public sealed class TeamMember : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid TeamId { get; set; }
    public Guid UserId { get; set; }
    public required string Role { get; set; }
}

using Coditect.Server.Data;

namespace Coditect.Server.DevContext.Plans;

/// <summary>
/// One version of a project's plan (markdown). Versions are only ever added: the newest is the plan, the others its
/// history. Not audited row by row (a megabyte of before/after would swamp the trail): each new version writes one
/// <c>plan.updated</c> event with its number and size.
/// </summary>
[NotAudited]
public sealed class PlanVersion : ITenantOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid ProjectId { get; set; }
    public int Version { get; set; }
    public required string Content { get; set; }
    public int ContentBytes { get; set; }
    public string? Summary { get; set; }
    public Guid? AuthorId { get; set; }
    public DateTime CreatedAt { get; set; }
}

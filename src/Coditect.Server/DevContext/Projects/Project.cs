using Coditect.Server.Data;

namespace Coditect.Server.DevContext.Projects;

/// <summary>
/// A project: its task lists, tasks, plan and linked repositories. <see cref="Key"/> prefixes its task references
/// (<c>KEY-42</c>); every key it ever had stays in <see cref="ProjectKey"/> so that old references still resolve.
/// <see cref="NextTaskNumber"/> is the counter tasks take their numbers from (never reused).
/// </summary>
[Audited]
public sealed class Project : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }
    public required string Name { get; set; }
    public required string Slug { get; set; }
    public required string Key { get; set; }
    public string? Description { get; set; }
    public required string Status { get; set; }
    public Guid? TeamId { get; set; }
    public Guid? CreatedBy { get; set; }

    /// <summary>Moved by SQL only (<c>UPDATE ... RETURNING</c>), never through the change tracker.</summary>
    [NotAudited]
    public int NextTaskNumber { get; set; }
}

/// <summary>A key, current or former, of a project: unique in the organization, so a reference names one project.</summary>
[NotAudited] // recorded as the project's own key change
public sealed class ProjectKey : ITenantOwned
{
    public Guid TenantId { get; set; }
    public required string Key { get; set; }
    public Guid ProjectId { get; set; }
    public DateTime CreatedAt { get; set; }
}

using Coditect.Server.Data;

namespace Coditect.Server.DevContext.Tasks;

/// <summary>An ordered list of tasks in a project (a board's column).</summary>
[Audited]
public sealed class TaskList : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid ProjectId { get; set; }
    public required string Title { get; set; }
    public int Position { get; set; }
}

/// <summary>
/// A task (named so as not to shadow <see cref="System.Threading.Tasks.Task"/>; it is a <c>task</c> everywhere else).
/// <see cref="Number"/> comes from its project's counter and with the project's key makes its reference.
/// </summary>
[Audited("task")]
public sealed class ProjectTask : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid ProjectId { get; set; }
    public Guid TaskListId { get; set; }
    public Guid? ParentId { get; set; }
    public int Number { get; set; }
    public required string Title { get; set; }
    public string? Description { get; set; }
    public required string Status { get; set; }
    public Guid? AssigneeId { get; set; }

    /// <summary>0 low, 1 medium, 2 high, 3 urgent: stored as a rank so that lists sort by it.</summary>
    public int Priority { get; set; }

    public DateOnly? DueDate { get; set; }
    public double? EstimateHours { get; set; }

    /// <summary>JSON array of label strings.</summary>
    public string Labels { get; set; } = "[]";

    public int Position { get; set; }
    public DateTime? CompletedAt { get; set; }
    public Guid? CreatedBy { get; set; }
}

/// <summary><see cref="TaskId"/> waits for <see cref="DependsOnId"/>. The graph never has a cycle (TaskGraph checks before adding).</summary>
[Audited]
public sealed class TaskDependency : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid TaskId { get; set; }
    public Guid DependsOnId { get; set; }
}

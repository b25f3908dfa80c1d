namespace Coditect.Contracts.DevContext;

/// <summary>Task status on the wire.</summary>
public static class TaskStatuses
{
    public const string Todo = "todo";
    public const string InProgress = "in_progress";
    public const string Blocked = "blocked";
    public const string Done = "done";
}

/// <summary>Task priority on the wire, from least to most pressing.</summary>
public static class TaskPriorities
{
    public const string Low = "low";
    public const string Medium = "medium";
    public const string High = "high";
    public const string Urgent = "urgent";
}

/// <summary>Project status on the wire.</summary>
public static class ProjectStatuses
{
    public const string Active = "active";
    public const string Archived = "archived";
}

/// <summary>A team member's role on the wire.</summary>
public static class TeamRoles
{
    public const string Lead = "lead";
    public const string Member = "member";
}

public sealed record CreateTeamRequest(string? Name, string? Slug = null, string? Description = null);

/// <summary>A partial update: only the members sent change.</summary>
public sealed record UpdateTeamRequest(string? Name = null, string? Slug = null, string? Description = null);

public sealed record TeamMemberResponse(Guid UserId, string Email, string Name, string Role);

public sealed record TeamResponse(
    Guid Id,
    string Name,
    string Slug,
    string? Description,
    IReadOnlyList<TeamMemberResponse> Members,
    DateTime CreatedAt,
    DateTime UpdatedAt);

/// <summary>Adds an organization member to a team, or changes their team role (<c>lead</c> or <c>member</c>).</summary>
public sealed record PutTeamMemberRequest(string? Role = null);

/// <summary>
/// A new project. <c>Key</c> (2-10 upper-case letters and digits, starting with a letter) prefixes its task references
/// (<c>KEY-42</c>); derived from the name when left out. <c>Slug</c> likewise.
/// </summary>
public sealed record CreateProjectRequest(string? Name, string? Slug = null, string? Key = null, string? Description = null, Guid? TeamId = null);

/// <summary>A partial update: only the members sent change; <c>"team_id": null</c> takes the project from its team. A new key keeps the old one as an alias.</summary>
public sealed record UpdateProjectRequest(
    string? Name = null,
    string? Slug = null,
    string? Key = null,
    string? Description = null,
    string? Status = null,
    Guid? TeamId = null);

public sealed record ProjectResponse(
    Guid Id,
    string Name,
    string Slug,
    string Key,
    IReadOnlyList<string> KeyAliases,
    string? Description,
    string Status,
    Guid? TeamId,
    IReadOnlyList<Guid> RepositoryIds,
    Guid? CreatedBy,
    DateTime CreatedAt,
    DateTime UpdatedAt);

public sealed record CreateTaskListRequest(string? Title, int? Position = null);

public sealed record UpdateTaskListRequest(string? Title = null, int? Position = null);

public sealed record TaskListResponse(Guid Id, Guid ProjectId, string Title, int Position, int TaskCount, int DoneCount, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>
/// A new task in <c>TaskListId</c>. <c>DueDate</c> is a calendar date (<c>2027-01-31</c>); <c>Position</c> defaults to
/// the end of the list; <c>ParentId</c> makes it a sub-task of a task in the same project.
/// </summary>
public sealed record CreateTaskRequest(
    Guid? TaskListId,
    string? Title,
    string? Description = null,
    string? Status = null,
    Guid? AssigneeId = null,
    string? Priority = null,
    string? DueDate = null,
    double? EstimateHours = null,
    IReadOnlyList<string>? Labels = null,
    int? Position = null,
    Guid? ParentId = null,
    bool Force = false);

/// <summary>
/// A partial update of a task: only the members sent change; <c>null</c> clears <c>description</c>, <c>due_date</c>,
/// <c>estimate_hours</c>, <c>assignee_id</c> and <c>parent_id</c>. <c>Status</c> <c>done</c> with an open dependency
/// is refused unless <c>Force</c>.
/// </summary>
public sealed record UpdateTaskRequest(
    string? Title = null,
    string? Description = null,
    string? Status = null,
    Guid? AssigneeId = null,
    string? Priority = null,
    string? DueDate = null,
    double? EstimateHours = null,
    IReadOnlyList<string>? Labels = null,
    Guid? ParentId = null,
    bool? Force = null);

/// <summary>
/// A task. <c>Reference</c> is <c>KEY-number</c>; <c>Done</c> is the checkbox (status <c>done</c>);
/// <c>DependsOn</c> are the tasks it waits for.
/// </summary>
public sealed record TaskResponse(
    Guid Id,
    Guid ProjectId,
    Guid TaskListId,
    Guid? ParentId,
    int Number,
    string Reference,
    string Title,
    string? Description,
    string Status,
    bool Done,
    Guid? AssigneeId,
    string Priority,
    string? DueDate,
    double? EstimateHours,
    IReadOnlyList<string> Labels,
    int Position,
    IReadOnlyList<Guid> DependsOn,
    DateTime? CompletedAt,
    Guid? CreatedBy,
    DateTime CreatedAt,
    DateTime UpdatedAt);

/// <summary>Ticks or unticks the checkbox: <c>todo</c>/<c>in_progress</c>/<c>blocked</c> to <c>done</c>, <c>done</c> to <c>todo</c>.</summary>
public sealed record ToggleTaskRequest(bool Force = false);

public sealed record AssignTaskRequest(Guid? AssigneeId);

/// <summary>Moves a task to <c>TaskListId</c> (a list of the same project; the current one when left out) at <c>Position</c> (0 first; the end when left out).</summary>
public sealed record MoveTaskRequest(Guid? TaskListId = null, int? Position = null);

/// <summary>Sets <c>Status</c> on up to 1,000 tasks at once, all or none.</summary>
public sealed record BulkTaskStatusRequest(IReadOnlyList<Guid>? TaskIds, string? Status, bool Force = false);

public sealed record BulkTaskStatusResponse(int Updated, IReadOnlyList<TaskResponse> Tasks);

/// <summary>Makes the task depend on <c>DependsOnId</c> (any task of the organization) or on the task <c>Reference</c> names (<c>KEY-42</c>).</summary>
public sealed record AddDependencyRequest(Guid? DependsOnId = null, string? Reference = null);

/// <summary>A task as a dependency shows it.</summary>
public sealed record TaskLink(Guid Id, string Reference, string Title, string Status);

public sealed record DependenciesResponse(Guid TaskId, IReadOnlyList<TaskLink> DependsOn, IReadOnlyList<TaskLink> Dependents);

/// <summary>A markdown checklist: headings become task lists, <c>- [ ]</c> and <c>- [x]</c> items tasks, indented items sub-tasks.</summary>
public sealed record ImportMarkdownRequest(string? Markdown);

public sealed record ImportResponse(int TaskLists, int Tasks, int Done, int SubTasks);

public sealed record ExportResponse(Guid ProjectId, string Markdown);

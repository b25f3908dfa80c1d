using System.Globalization;
using System.Runtime.CompilerServices;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;

namespace Coditect.Client;

/// <summary>
/// Dev Context's work tracking (docs/devcontext.md): projects, task lists and tasks, plans with their versions,
/// repositories and commit sync. Lists are <see cref="IAsyncEnumerable{T}"/>: they follow the server's keyset cursor
/// page by page as the caller enumerates, so a long list costs one request per page and nothing more.
/// <c>task</c> parameters take a task's id or its reference (<c>KEY-42</c>).
/// </summary>
public sealed partial class AdminClient
{
    /// <summary>Creates a project; its key (the <c>KEY</c> of <c>KEY-42</c>) is derived from the name unless given.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="request">Name, optional slug, key, description and team.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The project.</returns>
    public Task<ProjectResponse> CreateProjectAsync(string org, CreateProjectRequest request, CancellationToken ct = default) =>
        SendAsync<ProjectResponse>(HttpMethod.Post, Org(org, "projects"), request, true, ct);

    /// <summary>The organization's projects, by name.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="status">Only <c>active</c> or <c>archived</c> projects, or null for all.</param>
    /// <param name="search">Only projects whose name, slug or key contains this, or null.</param>
    /// <param name="teamId">Only the projects of this team, or null.</param>
    /// <param name="ct">Cancels the enumeration.</param>
    /// <returns>Every matching project, fetched a page at a time.</returns>
    public IAsyncEnumerable<ProjectResponse> ListProjectsAsync(string org, string? status = null, string? search = null, Guid? teamId = null,
        CancellationToken ct = default) =>
        PagesAsync<ProjectResponse>(Org(org, "projects"), [("status", status), ("search", search), ("team_id", teamId?.ToString())], ct);

    /// <summary>One project.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="projectId">The project.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The project.</returns>
    /// <exception cref="ResourceNotFoundException">No such project in the organization (<c>PROJECT_NOT_FOUND</c>).</exception>
    public Task<ProjectResponse> GetProjectAsync(string org, Guid projectId, CancellationToken ct = default) =>
        SendAsync<ProjectResponse>(HttpMethod.Get, Org(org, $"projects/{projectId}"), null, true, ct);

    /// <summary>Changes the members of <paramref name="request"/> that are not null; a new key keeps the old one as an alias.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="projectId">The project.</param>
    /// <param name="request">The members to change.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The project.</returns>
    public Task<ProjectResponse> UpdateProjectAsync(string org, Guid projectId, UpdateProjectRequest request, CancellationToken ct = default) =>
        SendAsync<ProjectResponse>(Patch, Org(org, $"projects/{projectId}"), request, true, ct);

    /// <summary>Deletes a project with its plan, task lists and tasks (owners and admins); its repositories stay.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="projectId">The project.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>A task that completes when the project is deleted.</returns>
    public Task DeleteProjectAsync(string org, Guid projectId, CancellationToken ct = default) =>
        SendAsync<object?>(HttpMethod.Delete, Org(org, $"projects/{projectId}"), null, true, ct);

    /// <summary>A project's statistics: tasks by status, percent done, blocked, overdue, commits per week, contributors.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="projectId">The project.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The statistics.</returns>
    public Task<ProjectStatsResponse> GetProjectStatsAsync(string org, Guid projectId, CancellationToken ct = default) =>
        SendAsync<ProjectStatsResponse>(HttpMethod.Get, Org(org, $"projects/{projectId}/stats"), null, true, ct);

    /// <summary>The organization's Dev Context totals: projects, tasks, repositories, commits, active members.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The totals.</returns>
    public Task<DevStatsResponse> GetDevStatsAsync(string org, CancellationToken ct = default) =>
        SendAsync<DevStatsResponse>(HttpMethod.Get, Org(org, "dev-stats"), null, true, ct);

    /// <summary>Imports a markdown checklist: headings become task lists, <c>- [ ]</c> / <c>- [x]</c> items tasks, indented items sub-tasks.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="projectId">The project that gets the lists.</param>
    /// <param name="markdown">The checklist.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>How many lists, tasks, done tasks and sub-tasks were made.</returns>
    public Task<ImportResponse> ImportChecklistAsync(string org, Guid projectId, string markdown, CancellationToken ct = default) =>
        SendAsync<ImportResponse>(HttpMethod.Post, Org(org, $"projects/{projectId}/import"), new ImportMarkdownRequest(markdown), true, ct);

    /// <summary>A project's task lists as the markdown checklist <see cref="ImportChecklistAsync"/> reads back.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="projectId">The project.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The markdown.</returns>
    public async Task<string> ExportChecklistAsync(string org, Guid projectId, CancellationToken ct = default) =>
        (await SendAsync<ExportResponse>(HttpMethod.Get, Org(org, $"projects/{projectId}/export"), null, true, ct).ConfigureAwait(false)).Markdown;

    /// <summary>A project's task lists in board order, with their task counts.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="projectId">The project.</param>
    /// <param name="ct">Cancels the enumeration.</param>
    /// <returns>Every list, fetched a page at a time.</returns>
    public IAsyncEnumerable<TaskListResponse> ListTaskListsAsync(string org, Guid projectId, CancellationToken ct = default) =>
        PagesAsync<TaskListResponse>(Org(org, $"projects/{projectId}/task-lists"), [], ct);

    /// <summary>Adds a task list to a project, at the end unless a position is given.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="projectId">The project.</param>
    /// <param name="title">The list's title.</param>
    /// <param name="position">Where it goes (0 first), or null for the end.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The list.</returns>
    public Task<TaskListResponse> CreateTaskListAsync(string org, Guid projectId, string title, int? position = null, CancellationToken ct = default) =>
        SendAsync<TaskListResponse>(HttpMethod.Post, Org(org, $"projects/{projectId}/task-lists"), new CreateTaskListRequest(title, position), true, ct);

    /// <summary>Creates a task in a task list; it gets its project's next number (<c>KEY-42</c>).</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="request">The list, title and optional members.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The task.</returns>
    public Task<TaskResponse> CreateTaskAsync(string org, CreateTaskRequest request, CancellationToken ct = default) =>
        SendAsync<TaskResponse>(HttpMethod.Post, Org(org, "tasks"), request, true, ct);

    /// <summary>Tasks of the organization that match every filter given, by number (or <paramref name="sort"/>).</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="filter">The filters, or null for every task.</param>
    /// <param name="ct">Cancels the enumeration.</param>
    /// <returns>Every matching task, fetched a page at a time.</returns>
    /// <param name="sort">A sort field (<c>number</c>, <c>position</c>, <c>priority</c>, <c>title</c>, <c>created_at</c>, <c>updated_at</c>), <c>-</c> in front for descending.</param>
    public IAsyncEnumerable<TaskResponse> ListTasksAsync(string org, TaskFilter? filter = null, string? sort = null, CancellationToken ct = default)
    {
        var f = filter ?? new TaskFilter();
        return PagesAsync<TaskResponse>(Org(org, "tasks"),
        [
            ("project_id", f.ProjectId?.ToString()), ("task_list_id", f.TaskListId?.ToString()), ("parent_id", f.ParentId?.ToString()),
            ("status", f.Status), ("priority", f.Priority), ("assignee_id", f.Unassigned ? "none" : f.AssigneeId?.ToString()),
            ("label", f.Label), ("team_id", f.TeamId?.ToString()), ("search", f.Search), ("sort", sort),
        ], ct);
    }

    /// <summary>One task, by id or reference.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="task">The task's id or reference (<c>KEY-42</c>).</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The task.</returns>
    /// <exception cref="ResourceNotFoundException">No such task (<c>TASK_NOT_FOUND</c>).</exception>
    public Task<TaskResponse> GetTaskAsync(string org, string task, CancellationToken ct = default) =>
        SendAsync<TaskResponse>(HttpMethod.Get, TaskPath(org, task), null, true, ct);

    /// <summary>Changes the members of <paramref name="request"/> that are not null (use <see cref="AssignTaskAsync"/> to unassign).</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="task">The task's id or reference.</param>
    /// <param name="request">The members to change; <c>Force</c> sets done although a dependency is open.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The task.</returns>
    /// <exception cref="ConflictException">Done while a dependency is open, without force (<c>TASK_BLOCKED</c>).</exception>
    public Task<TaskResponse> UpdateTaskAsync(string org, string task, UpdateTaskRequest request, CancellationToken ct = default) =>
        SendAsync<TaskResponse>(Patch, TaskPath(org, task), request, true, ct);

    /// <summary>Deletes a task with its sub-tasks.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="task">The task's id or reference.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>A task that completes when it is deleted.</returns>
    public Task DeleteTaskAsync(string org, string task, CancellationToken ct = default) =>
        SendAsync<object?>(HttpMethod.Delete, TaskPath(org, task), null, true, ct);

    /// <summary>Ticks or unticks the task's checkbox: open to <c>done</c>, <c>done</c> to <c>todo</c>.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="task">The task's id or reference.</param>
    /// <param name="force">Tick it although a dependency is open.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The task.</returns>
    /// <exception cref="ConflictException">A dependency is open and <paramref name="force"/> is false (<c>TASK_BLOCKED</c>).</exception>
    public Task<TaskResponse> ToggleTaskAsync(string org, string task, bool force = false, CancellationToken ct = default) =>
        SendAsync<TaskResponse>(HttpMethod.Post, TaskPath(org, task, "/toggle"), new ToggleTaskRequest(force), true, ct);

    /// <summary>Assigns the task to an organization member, or unassigns it.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="task">The task's id or reference.</param>
    /// <param name="assigneeId">The member's user id, or null to unassign.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The task.</returns>
    /// <exception cref="InvalidRequestException">The user is not a member (<c>assignee_id</c>).</exception>
    public Task<TaskResponse> AssignTaskAsync(string org, string task, Guid? assigneeId, CancellationToken ct = default) =>
        assigneeId is { } who
            ? SendAsync<TaskResponse>(HttpMethod.Post, TaskPath(org, task, "/assign"), new AssignTaskRequest(who), true, ct)
            : SendAsync<TaskResponse>(HttpMethod.Post, TaskPath(org, task, "/unassign"), null, true, ct);

    /// <summary>Moves the task to another list of its project and/or another position.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="task">The task's id or reference.</param>
    /// <param name="taskListId">The list to move to, or null for its own.</param>
    /// <param name="position">The position (0 first), or null for the end.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The task.</returns>
    public Task<TaskResponse> MoveTaskAsync(string org, string task, Guid? taskListId, int? position = null, CancellationToken ct = default) =>
        SendAsync<TaskResponse>(HttpMethod.Post, TaskPath(org, task, "/move"), new MoveTaskRequest(taskListId, position), true, ct);

    /// <summary>Sets the status of up to 1,000 tasks at once, all or none.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="taskIds">The tasks.</param>
    /// <param name="status"><c>todo</c>, <c>in_progress</c>, <c>blocked</c> or <c>done</c>.</param>
    /// <param name="force">Set done although dependencies are open.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>How many changed, and the tasks.</returns>
    public Task<BulkTaskStatusResponse> BulkTaskStatusAsync(string org, IReadOnlyList<Guid> taskIds, string status, bool force = false,
        CancellationToken ct = default) =>
        SendAsync<BulkTaskStatusResponse>(HttpMethod.Post, Org(org, "tasks/bulk-status"), new BulkTaskStatusRequest(taskIds, status, force), true, ct);

    /// <summary>What the task depends on and what depends on it.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="task">The task's id or reference.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>Both directions.</returns>
    public Task<DependenciesResponse> GetTaskDependenciesAsync(string org, string task, CancellationToken ct = default) =>
        SendAsync<DependenciesResponse>(HttpMethod.Get, TaskPath(org, task, "/dependencies"), null, true, ct);

    /// <summary>Makes the task depend on another (by reference or id).</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="task">The task's id or reference.</param>
    /// <param name="dependsOn">The task it waits for: its id or reference.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The task's dependencies after the change.</returns>
    /// <exception cref="ConflictException">The dependency would close a cycle (<c>DEPENDENCY_CYCLE</c>).</exception>
    public Task<DependenciesResponse> AddTaskDependencyAsync(string org, string task, string dependsOn, CancellationToken ct = default) =>
        SendAsync<DependenciesResponse>(HttpMethod.Post, TaskPath(org, task, "/dependencies"),
            Guid.TryParse(dependsOn, out var id) ? new AddDependencyRequest(id) : new AddDependencyRequest(Reference: dependsOn), true, ct);

    /// <summary>Removes a dependency.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="task">The task's id or reference.</param>
    /// <param name="dependsOn">The task it should no longer wait for: its id or reference.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The task's dependencies after the change.</returns>
    public Task<DependenciesResponse> RemoveTaskDependencyAsync(string org, string task, string dependsOn, CancellationToken ct = default) =>
        SendAsync<DependenciesResponse>(HttpMethod.Delete, TaskPath(org, task, "/dependencies/" + Uri.EscapeDataString(dependsOn)), null, true, ct);

    /// <summary>A project's plan: the current version, or <paramref name="version"/> (version 0, empty: no plan yet).</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="projectId">The project.</param>
    /// <param name="version">A version number, or null for the current one.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The plan.</returns>
    /// <exception cref="ResourceNotFoundException">No such version (<c>PLAN_VERSION_NOT_FOUND</c>) or project.</exception>
    public Task<PlanResponse> GetPlanAsync(string org, Guid projectId, int? version = null, CancellationToken ct = default) =>
        SendAsync<PlanResponse>(HttpMethod.Get,
            Org(org, version is { } v ? $"projects/{projectId}/plan/versions/{v.ToString(CultureInfo.InvariantCulture)}" : $"projects/{projectId}/plan"),
            null, true, ct);

    /// <summary>Saves a new version of the plan (at most 1,048,576 UTF-8 bytes); the same content again adds none.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="projectId">The project.</param>
    /// <param name="content">The plan's markdown.</param>
    /// <param name="summary">What changed, or null.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The plan as saved, with its version.</returns>
    /// <exception cref="InvalidRequestException">The plan is too large (413 <c>PAYLOAD_TOO_LARGE</c>).</exception>
    public Task<PlanResponse> PutPlanAsync(string org, Guid projectId, string content, string? summary = null, CancellationToken ct = default) =>
        SendAsync<PlanResponse>(HttpMethod.Put, Org(org, $"projects/{projectId}/plan"), new PutPlanRequest(content, summary), true, ct);

    /// <summary>The plan's versions, newest first, without their content.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="projectId">The project.</param>
    /// <param name="ct">Cancels the enumeration.</param>
    /// <returns>Every version, fetched a page at a time.</returns>
    public IAsyncEnumerable<PlanVersionSummary> ListPlanVersionsAsync(string org, Guid projectId, CancellationToken ct = default) =>
        PagesAsync<PlanVersionSummary>(Org(org, $"projects/{projectId}/plan/versions"), [], ct);

    /// <summary>A unified diff between two versions of the plan.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="projectId">The project.</param>
    /// <param name="from">The older version (0: the empty plan), or null for the one before <paramref name="to"/>.</param>
    /// <param name="to">The newer version, or null for the current one.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The diff with its counts.</returns>
    public Task<PlanDiffResponse> DiffPlanAsync(string org, Guid projectId, int? from = null, int? to = null, CancellationToken ct = default) =>
        SendAsync<PlanDiffResponse>(HttpMethod.Get,
            Wire.Query(Org(org, $"projects/{projectId}/plan/diff"), ("from", from?.ToString(CultureInfo.InvariantCulture)), ("to", to?.ToString(CultureInfo.InvariantCulture))),
            null, true, ct);

    /// <summary>Registers a git repository.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="request">Name, provider, clone URL, default branch, project.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The repository.</returns>
    public Task<RepositoryResponse> CreateRepositoryAsync(string org, CreateRepositoryRequest request, CancellationToken ct = default) =>
        SendAsync<RepositoryResponse>(HttpMethod.Post, Org(org, "repositories"), request, true, ct);

    /// <summary>The organization's repositories, by name.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="name">Only the repository with exactly this name, or null.</param>
    /// <param name="search">Only repositories whose name contains this, or null.</param>
    /// <param name="projectId">Only those linked to this project, or null.</param>
    /// <param name="ct">Cancels the enumeration.</param>
    /// <returns>Every matching repository, fetched a page at a time.</returns>
    public IAsyncEnumerable<RepositoryResponse> ListRepositoriesAsync(string org, string? name = null, string? search = null, Guid? projectId = null,
        CancellationToken ct = default) =>
        PagesAsync<RepositoryResponse>(Org(org, "repositories"), [("name", name), ("search", search), ("project_id", projectId?.ToString())], ct);

    /// <summary>One repository.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="repositoryId">The repository.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The repository.</returns>
    public Task<RepositoryResponse> GetRepositoryAsync(string org, Guid repositoryId, CancellationToken ct = default) =>
        SendAsync<RepositoryResponse>(HttpMethod.Get, Org(org, $"repositories/{repositoryId}"), null, true, ct);

    /// <summary>Deletes a repository with its commits.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="repositoryId">The repository.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>A task that completes when it is deleted.</returns>
    public Task DeleteRepositoryAsync(string org, Guid repositoryId, CancellationToken ct = default) =>
        SendAsync<object?>(HttpMethod.Delete, Org(org, $"repositories/{repositoryId}"), null, true, ct);

    /// <summary>Records up to <see cref="MaxCommitBatch"/> commits, idempotently by SHA; messages naming <c>KEY-42</c> link to that task.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="repositoryId">The repository.</param>
    /// <param name="commits">The commits.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>How many were new, already known, and the task links made.</returns>
    public Task<CommitBatchResponse> SyncCommitsAsync(string org, Guid repositoryId, IReadOnlyList<CommitInput> commits, CancellationToken ct = default) =>
        SendAsync<CommitBatchResponse>(HttpMethod.Post, Org(org, $"repositories/{repositoryId}/commits"), new CommitBatchRequest(commits), true, ct);

    /// <summary>The most commits one <see cref="SyncCommitsAsync"/> call may carry.</summary>
    public const int MaxCommitBatch = 1000;

    /// <summary>A repository's commits, newest first.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="repositoryId">The repository.</param>
    /// <param name="branch">Only commits read from this branch, or null.</param>
    /// <param name="search">Only commits whose message contains this, or null.</param>
    /// <param name="ct">Cancels the enumeration.</param>
    /// <returns>Every matching commit, fetched a page at a time.</returns>
    public IAsyncEnumerable<CommitResponse> ListCommitsAsync(string org, Guid repositoryId, string? branch = null, string? search = null,
        CancellationToken ct = default) =>
        PagesAsync<CommitResponse>(Org(org, $"repositories/{repositoryId}/commits"), [("branch", branch), ("search", search)], ct);

    /// <summary>The newest commit the server knows per branch: where an incremental sync starts.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="repositoryId">The repository.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The repository's commit count and branch heads.</returns>
    public Task<SyncStateResponse> GetSyncStateAsync(string org, Guid repositoryId, CancellationToken ct = default) =>
        SendAsync<SyncStateResponse>(HttpMethod.Get, Org(org, $"repositories/{repositoryId}/sync-state"), null, true, ct);

    private static readonly HttpMethod Patch = new("PATCH");

    private static string TaskPath(string org, string task, string rest = "") => Org(org, "tasks/" + Uri.EscapeDataString(task) + rest);

    /// <summary>Follows a keyset-paged list (<c>{items, page_size, next_cursor}</c>) page by page, 100 items a request.</summary>
    private async IAsyncEnumerable<T> PagesAsync<T>(string path, (string, string?)[] query, [EnumeratorCancellation] CancellationToken ct)
    {
        string? cursor = null;
        do
        {
            var page = await SendAsync<CursorPage<T>>(HttpMethod.Get, Wire.Query(path, [.. query, ("page_size", "100"), ("cursor", cursor)]), null, true, ct)
                .ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                yield return item;
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }
}

/// <summary>The filters of <see cref="AdminClient.ListTasksAsync"/>: a task is listed when it matches every one that is set.</summary>
public sealed class TaskFilter
{
    /// <summary>Only tasks of this project.</summary>
    public Guid? ProjectId { get; set; }

    /// <summary>Only tasks of this task list.</summary>
    public Guid? TaskListId { get; set; }

    /// <summary>Only sub-tasks of this task.</summary>
    public Guid? ParentId { get; set; }

    /// <summary>Only tasks with this status (<c>todo</c>, <c>in_progress</c>, <c>blocked</c>, <c>done</c>).</summary>
    public string? Status { get; set; }

    /// <summary>Only tasks with this priority (<c>low</c> to <c>urgent</c>).</summary>
    public string? Priority { get; set; }

    /// <summary>Only tasks assigned to this user.</summary>
    public Guid? AssigneeId { get; set; }

    /// <summary>Only unassigned tasks (wins over <see cref="AssigneeId"/>).</summary>
    public bool Unassigned { get; set; }

    /// <summary>Only tasks with this label.</summary>
    public string? Label { get; set; }

    /// <summary>Only tasks of this team's projects.</summary>
    public Guid? TeamId { get; set; }

    /// <summary>Only tasks whose title contains this, or whose reference it is.</summary>
    public string? Search { get; set; }
}

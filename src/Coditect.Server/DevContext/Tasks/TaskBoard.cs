using System.Text.Json;
using System.Text.Json.Nodes;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Audit;
using Coditect.Server.Data;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.DevContext.Tasks;

/// <summary>
/// Task use cases (scoped): create (numbered from the project's counter), find by id or <c>KEY-number</c>, list with
/// filters, update, delete, the checkbox, assign, move, bulk status, and the rule that a task is not done while
/// something it depends on is open (409 <c>TASK_BLOCKED</c> unless forced). Audited from the save (<c>task.*</c>)
/// except bulk changes, which write one summary event.
/// </summary>
public sealed class TaskBoard(CoditectDbContext db, TenantContext tenant)
{
    public const int MaxBulk = 1000;
    public const int MaxTitle = 500;

    public static readonly SortKeys<ProjectTask> Sorts = new SortKeys<ProjectTask>(t => t.Id, "number", false)
        .Add("number", t => t.Number).Add("position", t => t.Position).Add("priority", t => t.Priority).Add("title", t => t.Title)
        .Add("created_at", t => t.CreatedAt).Add("updated_at", t => t.UpdatedAt);

    /// <summary>
    /// A list's filters, each named after its wire field: <c>project_id</c>, <c>task_list_id</c>, <c>parent_id</c>,
    /// <c>status</c>, <c>priority</c>, <c>assignee_id</c> (or <c>none</c>), <c>label</c>, <c>team_id</c> (the project's team)
    /// and <c>search</c> (title contains it, or it is the task's reference).
    /// </summary>
    public sealed record TaskFilter(
        Guid? ProjectId, Guid? TaskListId, Guid? ParentId, string? Status, string? Priority, Guid? AssigneeId, bool Unassigned,
        string? Label, Guid? TeamId, string Search);

    /// <summary>The task <paramref name="key"/> names (its id or a reference with any key its project had), tracked; null when none is visible.</summary>
    public async Task<ProjectTask?> FindAsync(string key, CancellationToken ct)
    {
        if (Guid.TryParse(key, out var id))
        {
            return await db.Set<ProjectTask>().FirstOrDefaultAsync(t => t.Id == id, ct);
        }

        if (ProjectKeys.ParseReference(key) is not { } reference)
        {
            return null;
        }

        var (projectKey, number) = reference;
        var projectId = await db.Set<ProjectKey>().Where(k => k.Key == projectKey).Select(k => (Guid?)k.ProjectId).FirstOrDefaultAsync(ct);
        return projectId is null ? null : await db.Set<ProjectTask>().FirstOrDefaultAsync(t => t.ProjectId == projectId && t.Number == number, ct);
    }

    public async Task<Outcome<TaskResponse>> CreateAsync(CreateTaskRequest input, CancellationToken ct)
    {
        var errors = new Validator();
        if (input.TaskListId is not { } listId)
        {
            return Refusal.Invalid("task_list_id", "is required.");
        }

        var list = await db.Set<TaskList>().AsNoTracking().FirstOrDefaultAsync(l => l.Id == listId, ct);
        if (list is null)
        {
            return Answers.TaskListNotFound();
        }

        var title = errors.Required("title", input.Title, MaxTitle);
        var description = WorkInput.LongText(errors, "description", input.Description);
        var status = WorkInput.Status(errors, input.Status, TaskStatuses.Todo);
        var priority = WorkInput.Priority(errors, input.Priority, 1);
        var due = WorkInput.Date(errors, "due_date", input.DueDate);
        var estimate = WorkInput.Estimate(errors, input.EstimateHours);
        var labels = WorkInput.Labels(errors, input.Labels);
        var position = WorkInput.Position(errors, input.Position);
        await CheckAssigneeAsync(errors, input.AssigneeId, ct);
        if (input.ParentId is { } parentId && !await db.Set<ProjectTask>().AnyAsync(t => t.Id == parentId && t.ProjectId == list.ProjectId, ct))
        {
            errors.Add("parent_id", "must be a task of the same project.");
        }

        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        var number = await TakeNumbersAsync(db, list.ProjectId, 1, ct);
        var count = await db.Set<ProjectTask>().CountAsync(t => t.TaskListId == listId, ct);
        var at = Math.Min(position ?? count, count);
        if (at < count)
        {
            await db.Set<ProjectTask>().Where(t => t.TaskListId == listId && t.Position >= at)
                .ExecuteUpdateAsync(u => u.SetProperty(t => t.Position, t => t.Position + 1), ct);
        }

        var task = new ProjectTask
        {
            ProjectId = list.ProjectId,
            TaskListId = listId,
            ParentId = input.ParentId,
            Number = number,
            Title = title,
            Description = description,
            Status = TaskStatuses.Todo,
            AssigneeId = input.AssigneeId,
            Priority = priority,
            DueDate = due,
            EstimateHours = estimate,
            Labels = labels,
            Position = at,
            CreatedBy = tenant.UserId ?? tenant.ApiKeyCreatorId,
        };
        task.SetStatus(status, db.UtcNow);
        db.Add(task);
        await db.SaveChangesAsync(ct);
        var response = await ResponseAsync(task, ct);
        await db.RaiseAsync(DevContextEvents.TaskCreated, response, ct);
        return response;
    }

    public async Task<CursorPage<TaskResponse>> ListAsync(TaskFilter filter, Keyset keyset, CancellationToken ct)
    {
        var tasks = db.Set<ProjectTask>().AsNoTracking();
        if (filter.ProjectId is { } projectId)
        {
            tasks = tasks.Where(t => t.ProjectId == projectId);
        }

        if (filter.TaskListId is { } listId)
        {
            tasks = tasks.Where(t => t.TaskListId == listId);
        }

        if (filter.ParentId is { } parentId)
        {
            tasks = tasks.Where(t => t.ParentId == parentId);
        }

        if (filter.Status is { } status)
        {
            tasks = tasks.Where(t => t.Status == status);
        }

        if (filter.Priority is { } priority)
        {
            var rank = Array.IndexOf(WorkInput.Priorities, priority);
            tasks = tasks.Where(t => t.Priority == rank);
        }

        if (filter.Unassigned)
        {
            tasks = tasks.Where(t => t.AssigneeId == null);
        }
        else if (filter.AssigneeId is { } assigneeId)
        {
            tasks = tasks.Where(t => t.AssigneeId == assigneeId);
        }

        if (filter.Label is { } label)
        {
            // Labels are stored as a JSON array written by the same serializer: the label as a JSON string is one whole item.
            var pattern = WorkInput.Contains(JsonSerializer.Serialize(label));
            tasks = tasks.Where(t => EF.Functions.Like(t.Labels, pattern, "\\"));
        }

        if (filter.TeamId is { } teamId)
        {
            tasks = tasks.Where(t => db.Set<Project>().Any(p => p.Id == t.ProjectId && p.TeamId == teamId));
        }

        if (filter.Search.Length > 0)
        {
            var pattern = WorkInput.Contains(filter.Search.ToLowerInvariant());
            if (ProjectKeys.ParseReference(filter.Search) is { } reference)
            {
                var (key, number) = reference;
                var referenced = db.Set<ProjectKey>().Where(k => k.Key == key).Select(k => k.ProjectId);
                tasks = tasks.Where(t => EF.Functions.Like(t.Title.ToLower(), pattern, "\\") || (t.Number == number && referenced.Contains(t.ProjectId)));
            }
            else
            {
                tasks = tasks.Where(t => EF.Functions.Like(t.Title.ToLower(), pattern, "\\"));
            }
        }

        var (rows, next) = await keyset.RowsAsync(tasks, Sorts, ct);
        return new CursorPage<TaskResponse>(await ResponsesAsync(rows, ct), keyset.PageSize, next);
    }

    /// <summary>
    /// The first page of each status's tasks in a project (or one of its lists), as the board shows them: in one query
    /// (a UNION ALL of one ordered page per status) and one round trip each for the project keys and dependencies,
    /// where a list per column would take three per column.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, CursorPage<TaskResponse>>> ColumnsAsync(
        Guid projectId, Guid? listId, IReadOnlyList<string> statuses, Keyset keyset, CancellationToken ct)
    {
        if (keyset is not { Sort: "number" or "position", Descending: false, AfterId: null })
        {
            throw new ArgumentException("The board's columns start at the first task by number or position.", nameof(keyset));
        }

        var tasks = db.Set<ProjectTask>().AsNoTracking().Where(t => t.ProjectId == projectId);
        if (listId is { } list)
        {
            tasks = tasks.Where(t => t.TaskListId == list);
        }

        IQueryable<ProjectTask>? union = null;
        foreach (var status in statuses)
        {
            var page = Sorts.Apply(tasks.Where(t => t.Status == status), keyset).Take(keyset.PageSize + 1);
            union = union is null ? page : union.Concat(page);
        }

        var rows = union is null ? [] : await union.ToListAsync(ct);
        var responses = (await ResponsesAsync(rows, ct)).ToDictionary(r => r.Id);
        var columns = new Dictionary<string, CursorPage<TaskResponse>>(StringComparer.Ordinal);
        foreach (var status in statuses)
        {
            // Each part comes back in its order; sorted again on the key alone (a stable sort keeps the database's
            // tie order, the id's, which .NET would compare differently) in case parts were interleaved.
            var column = rows.Where(t => t.Status == status).OrderBy(t => keyset.Sort == "position" ? t.Position : t.Number).ToList();
            string? next = null;
            if (column.Count > keyset.PageSize)
            {
                column.RemoveAt(keyset.PageSize);
                next = Sorts.CursorAfter(column[^1], keyset);
            }

            columns[status] = new CursorPage<TaskResponse>([.. column.Select(t => responses[t.Id])], keyset.PageSize, next);
        }

        return columns;
    }

    public async Task<TaskResponse?> GetAsync(string key, CancellationToken ct) =>
        await FindAsync(key, ct) is { } task ? await ResponseAsync(task, ct) : null;

    /// <summary>
    /// Changes the members <paramref name="body"/> sends (see <see cref="UpdateTaskRequest"/>); null clears description,
    /// due_date, estimate_hours, assignee_id and parent_id. Status done with an open dependency needs <c>force</c>.
    /// </summary>
    public async Task<Outcome<TaskResponse>> UpdateAsync(string key, JsonElement body, CancellationToken ct)
    {
        var task = await FindAsync(key, ct);
        if (task is null)
        {
            return Answers.TaskNotFound();
        }

        var errors = new Validator();
        var patch = new PatchBody(body, errors);
        if (!patch.IsObject)
        {
            return Refusal.Invalid("body", "must be a JSON object.");
        }

        var title = patch.Text("title") is { } t ? errors.Required("title", t.Value, MaxTitle) : task.Title;
        var description = patch.Text("description") is { } d ? WorkInput.LongText(errors, "description", d.Value) : task.Description;
        var status = patch.Text("status") is { } s ? WorkInput.Status(errors, s.Value ?? "", task.Status) : task.Status;
        var priority = patch.Text("priority") is { } p ? WorkInput.Priority(errors, p.Value ?? "", task.Priority) : task.Priority;
        var due = patch.Text("due_date") is { } dd ? WorkInput.Date(errors, "due_date", dd.Value) : task.DueDate;
        var estimate = patch.Number("estimate_hours") is { } e ? WorkInput.Estimate(errors, e.Value) : task.EstimateHours;
        var labels = patch.Texts("labels") is { } l ? WorkInput.Labels(errors, l.Value) : task.Labels;
        var assignee = task.AssigneeId;
        if (patch.Id("assignee_id") is { } a)
        {
            assignee = a.Value;
            if (a.Value != task.AssigneeId)
            {
                await CheckAssigneeAsync(errors, a.Value, ct);
            }
        }

        var parent = task.ParentId;
        if (patch.Id("parent_id") is { } pa)
        {
            parent = pa.Value;
            if (pa.Value is { } parentId && parentId != task.ParentId)
            {
                await CheckParentAsync(errors, task, parentId, ct);
            }
        }

        var force = patch.Flag("force")?.Value ?? false;
        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        if (status == TaskStatuses.Done && !task.IsDone() && !force && await BlockedAsync(task, ct) is { } blocked)
        {
            return blocked;
        }

        (task.Title, task.Description, task.Priority, task.DueDate, task.EstimateHours, task.Labels, task.AssigneeId, task.ParentId) =
            (title, description, priority, due, estimate, labels, assignee, parent);
        task.SetStatus(status, db.UtcNow);
        return await SaveAsync(task, DevContextEvents.TaskUpdated, ct);
    }

    /// <summary>Deletes the task with its sub-tasks (and every dependency on them); the list closes the gap.</summary>
    public async Task<Refusal?> DeleteAsync(string key, CancellationToken ct)
    {
        var task = await FindAsync(key, ct);
        if (task is null)
        {
            return Answers.TaskNotFound();
        }

        var response = await ResponseAsync(task, ct);
        db.Remove(task);
        await db.SaveChangesAsync(ct);
        await db.Set<ProjectTask>().Where(t => t.TaskListId == task.TaskListId && t.Position > task.Position)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.Position, t => t.Position - 1), ct);
        await db.RaiseAsync(DevContextEvents.TaskDeleted, response, ct);
        return null;
    }

    /// <summary>The checkbox: an open task becomes done (refused while a dependency is open, unless forced), a done one todo.</summary>
    public async Task<Outcome<TaskResponse>> ToggleAsync(string key, bool force, CancellationToken ct)
    {
        var task = await FindAsync(key, ct);
        if (task is null)
        {
            return Answers.TaskNotFound();
        }

        var status = TaskRules.Toggled(task.Status);
        if (status == TaskStatuses.Done && !force && await BlockedAsync(task, ct) is { } blocked)
        {
            return blocked;
        }

        task.SetStatus(status, db.UtcNow);
        return await SaveAsync(task, DevContextEvents.TaskUpdated, ct);
    }

    /// <summary>Assigns the task to an organization member, or unassigns it (null).</summary>
    public async Task<Outcome<TaskResponse>> AssignAsync(string key, Guid? assigneeId, CancellationToken ct)
    {
        var task = await FindAsync(key, ct);
        if (task is null)
        {
            return Answers.TaskNotFound();
        }

        var errors = new Validator();
        await CheckAssigneeAsync(errors, assigneeId, ct);
        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        task.AssigneeId = assigneeId;
        return await SaveAsync(task, DevContextEvents.TaskUpdated, ct);
    }

    /// <summary>
    /// Moves the task to <paramref name="listId"/> (a list of its own project; its current list when null) at
    /// <paramref name="position"/> (0 first; the end when null or past it). Both lists stay densely numbered.
    /// </summary>
    public async Task<Outcome<TaskResponse>> MoveAsync(string key, Guid? listId, int? position, CancellationToken ct)
    {
        var task = await FindAsync(key, ct);
        if (task is null)
        {
            return Answers.TaskNotFound();
        }

        var errors = new Validator();
        var wanted = WorkInput.Position(errors, position);
        var targetId = listId ?? task.TaskListId;
        var target = await db.Set<TaskList>().AsNoTracking().FirstOrDefaultAsync(l => l.Id == targetId, ct);
        if (target is null)
        {
            return Answers.TaskListNotFound();
        }

        if (target.ProjectId != task.ProjectId)
        {
            errors.Add("task_list_id", "must be a list of the task's own project: tasks move only within their project.");
        }

        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        var (from, oldPosition) = (task.TaskListId, task.Position);
        await db.Set<ProjectTask>().Where(t => t.TaskListId == from && t.Position > oldPosition && t.Id != task.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.Position, t => t.Position - 1), ct);
        var count = await db.Set<ProjectTask>().CountAsync(t => t.TaskListId == targetId && t.Id != task.Id, ct);
        var at = Math.Min(wanted ?? count, count);
        await db.Set<ProjectTask>().Where(t => t.TaskListId == targetId && t.Position >= at && t.Id != task.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.Position, t => t.Position + 1), ct);
        (task.TaskListId, task.Position) = (targetId, at);
        return await SaveAsync(task, DevContextEvents.TaskUpdated, ct);
    }

    /// <summary>
    /// Sets the status on every task named, all or none: any id not visible is 404, and done is refused
    /// while a task depends on an open task outside the batch, unless forced. One audit event and one outbox event.
    /// </summary>
    public async Task<Outcome<BulkTaskStatusResponse>> BulkStatusAsync(BulkTaskStatusRequest input, CancellationToken ct)
    {
        var errors = new Validator();
        var ids = (input.TaskIds ?? []).Distinct().ToList();
        if (ids.Count is 0 or > MaxBulk)
        {
            errors.Add("task_ids", $"must name 1 to {MaxBulk:N0} tasks.");
        }

        var status = WorkInput.Status(errors, input.Status ?? "", TaskStatuses.Todo);
        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        var tasks = await db.Set<ProjectTask>().Where(t => ids.Contains(t.Id)).ToListAsync(ct);
        if (tasks.Count != ids.Count)
        {
            var missing = ids.Except(tasks.Select(t => t.Id)).ToList();
            return new Refusal(StatusCodes.Status404NotFound, ProblemCodes.TaskNotFound, "Some of the tasks were not found.",
                Extensions: new Dictionary<string, object?> { ["field"] = "task_ids", ["missing"] = missing });
        }

        if (status == TaskStatuses.Done && !input.Force)
        {
            var changing = tasks.Where(t => !t.IsDone()).Select(t => t.Id).ToList();
            var open = await OpenDependenciesAsync(changing, except: ids, ct);
            if (open.Count > 0)
            {
                return Blocked(open, null);
            }
        }

        var now = db.UtcNow;
        var changed = tasks.Where(t => t.Status != status).ToList();
        foreach (var task in changed)
        {
            task.SetStatus(status, now);
        }

        db.AuditSuspended = true;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        finally
        {
            db.AuditSuspended = false;
        }

        AuditRecorder.Explicit(db, tenant.TenantId!.Value, DevContextEvents.TaskBulkUpdated, "task", Guid.Empty, new JsonObject
        {
            ["status"] = new JsonObject { ["before"] = null, ["after"] = status },
            ["updated"] = new JsonObject { ["before"] = null, ["after"] = changed.Count },
            ["task_ids"] = new JsonObject { ["before"] = null, ["after"] = new JsonArray([.. changed.Select(t => (JsonNode)JsonValue.Create(t.Id.ToString()))]) },
        }, now);
        await db.SaveChangesAsync(ct);
        var response = new BulkTaskStatusResponse(changed.Count, await ResponsesAsync(tasks, ct));
        await db.RaiseAsync(DevContextEvents.TaskBulkUpdated, new { status, updated = changed.Count, task_ids = changed.Select(t => t.Id).ToList() }, ct);
        return response;
    }

    /// <summary>
    /// Takes <paramref name="count"/> numbers from the project's counter and answers the first. The UPDATE holds the
    /// project's row lock to commit, so parallel creates queue there and never share a number (PostgreSQL); SQLite
    /// has one writer at a time anyway. A deleted task's number is never handed out again.
    /// </summary>
    internal static async Task<int> TakeNumbersAsync(CoditectDbContext database, Guid projectId, int count, CancellationToken ct)
    {
        var after = (await database.Database.SqlQuery<int>($"""
            UPDATE projects SET next_task_number = next_task_number + {count} WHERE id = {projectId}
            RETURNING next_task_number AS "Value"
            """).ToListAsync(ct)).Single();
        return after - count;
    }

    internal async Task<TaskResponse> ResponseAsync(ProjectTask task, CancellationToken ct) => (await ResponsesAsync([task], ct))[0];

    /// <summary>The answers for <paramref name="tasks"/>, in their order, with references and dependencies read in bulk.</summary>
    internal async Task<List<TaskResponse>> ResponsesAsync(IReadOnlyList<ProjectTask> tasks, CancellationToken ct)
    {
        var projectIds = tasks.Select(t => t.ProjectId).Distinct().ToList();
        var keys = await db.Set<Project>().AsNoTracking().Where(p => projectIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.Key, ct);
        var ids = tasks.Select(t => t.Id).ToList();
        var dependencies = (await db.Set<TaskDependency>().AsNoTracking().Where(d => ids.Contains(d.TaskId))
                .Select(d => new { d.TaskId, d.DependsOnId }).ToListAsync(ct))
            .GroupBy(d => d.TaskId).ToDictionary(g => g.Key, g => g.Select(d => d.DependsOnId).Order().ToList());
        return [.. tasks.Select(t => t.ToResponse(keys.GetValueOrDefault(t.ProjectId, "?"), dependencies.GetValueOrDefault(t.Id, [])))];
    }

    /// <summary>The open tasks <paramref name="taskIds"/> depend on, leaving out <paramref name="except"/>.</summary>
    internal async Task<List<TaskLink>> OpenDependenciesAsync(IReadOnlyCollection<Guid> taskIds, IReadOnlyCollection<Guid> except, CancellationToken ct)
    {
        var open = await db.Set<TaskDependency>().AsNoTracking()
            .Where(d => taskIds.Contains(d.TaskId) && !except.Contains(d.DependsOnId))
            .Join(db.Set<ProjectTask>(), d => d.DependsOnId, t => t.Id, (d, t) => t)
            .Where(t => t.Status != TaskStatuses.Done)
            .Distinct().ToListAsync(ct);
        return await LinksAsync(open, ct);
    }

    internal async Task<List<TaskLink>> LinksAsync(IReadOnlyList<ProjectTask> tasks, CancellationToken ct)
    {
        var projectIds = tasks.Select(t => t.ProjectId).Distinct().ToList();
        var keys = await db.Set<Project>().AsNoTracking().Where(p => projectIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.Key, ct);
        return [.. tasks.OrderBy(t => keys.GetValueOrDefault(t.ProjectId), StringComparer.Ordinal).ThenBy(t => t.Number)
            .Select(t => new TaskLink(t.Id, $"{keys.GetValueOrDefault(t.ProjectId, "?")}-{t.Number}", t.Title, t.Status))];
    }

    private async Task<Refusal?> BlockedAsync(ProjectTask task, CancellationToken ct)
    {
        var open = await OpenDependenciesAsync([task.Id], [], ct);
        return open.Count == 0 ? null : Blocked(open, task.Id);
    }

    private static Refusal Blocked(List<TaskLink> open, Guid? taskId) =>
        Refusal.Conflict(ProblemCodes.TaskBlocked,
            $"A task it depends on is not done: {string.Join(", ", open.Select(o => o.Reference))}. Send \"force\": true to mark it done anyway.",
            new Dictionary<string, object?> { ["task_id"] = taskId, ["blocking"] = open });

    private async Task<Outcome<TaskResponse>> SaveAsync(ProjectTask task, string type, CancellationToken ct)
    {
        await db.SaveChangesAsync(ct);
        var response = await ResponseAsync(task, ct);
        await db.RaiseAsync(type, response, ct);
        return response;
    }

    private async Task CheckAssigneeAsync(Validator errors, Guid? assigneeId, CancellationToken ct)
    {
        if (assigneeId is { } userId && !await db.Set<Membership>().AnyAsync(m => m.UserId == userId, ct))
        {
            errors.Add("assignee_id", "must be a member of the organization.");
        }
    }

    /// <summary>A parent must be another task of the same project and not one of the task's own sub-tasks.</summary>
    private async Task CheckParentAsync(Validator errors, ProjectTask task, Guid parentId, CancellationToken ct)
    {
        var parents = await db.Set<ProjectTask>().AsNoTracking().Where(t => t.ProjectId == task.ProjectId)
            .Select(t => new { t.Id, t.ParentId }).ToDictionaryAsync(t => t.Id, t => t.ParentId, ct);
        if (!parents.ContainsKey(parentId))
        {
            errors.Add("parent_id", "must be a task of the same project.");
            return;
        }

        for (Guid? at = parentId; at is { } current; at = parents.GetValueOrDefault(current))
        {
            if (current == task.Id)
            {
                errors.Add("parent_id", "would make the task a sub-task of itself.");
                return;
            }
        }
    }
}

internal static class TaskMapping
{
    public static TaskResponse ToResponse(this ProjectTask t, string projectKey, IReadOnlyList<Guid> dependsOn) => new(
        t.Id, t.ProjectId, t.TaskListId, t.ParentId, t.Number, $"{projectKey}-{t.Number}", t.Title, t.Description, t.Status,
        t.Status == TaskStatuses.Done, t.AssigneeId, WorkInput.PriorityName(t.Priority), WorkInput.FormatDate(t.DueDate), t.EstimateHours,
        WorkInput.ReadList(t.Labels), t.Position, dependsOn, t.CompletedAt, t.CreatedBy, t.CreatedAt, t.UpdatedAt);
}

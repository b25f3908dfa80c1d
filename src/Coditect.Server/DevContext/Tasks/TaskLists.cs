using System.Text.Json.Nodes;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Audit;
using Coditect.Server.Data;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.DevContext.Tasks;

/// <summary>
/// A project's task lists (scoped): create, list, rename, reorder, delete (with their tasks), and the markdown
/// checklist import and export (<see cref="Checklist"/>). An import is one bulk operation: one audit event and one
/// <c>project.imported</c> event however many tasks it makes.
/// </summary>
public sealed class TaskLists(CoditectDbContext db, TenantContext tenant)
{
    public static readonly SortKeys<TaskList> Sorts = new SortKeys<TaskList>(l => l.Id, "position", false)
        .Add("position", l => l.Position).Add("title", l => l.Title).Add("created_at", l => l.CreatedAt);

    public async Task<Outcome<TaskListResponse>> CreateAsync(Guid projectId, CreateTaskListRequest input, CancellationToken ct)
    {
        if (!await db.Set<Project>().AnyAsync(p => p.Id == projectId, ct))
        {
            return Answers.ProjectNotFound();
        }

        var errors = new Validator();
        var title = errors.Required("title", input.Title);
        var position = WorkInput.Position(errors, input.Position);
        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        var count = await db.Set<TaskList>().CountAsync(l => l.ProjectId == projectId, ct);
        var at = Math.Min(position ?? count, count);
        await db.Set<TaskList>().Where(l => l.ProjectId == projectId && l.Position >= at)
            .ExecuteUpdateAsync(u => u.SetProperty(l => l.Position, l => l.Position + 1), ct);
        var list = new TaskList { ProjectId = projectId, Title = title, Position = at };
        db.Add(list);
        await db.SaveChangesAsync(ct);
        var response = list.ToResponse(0, 0);
        await db.RaiseAsync(DevContextEvents.TaskListCreated, response, ct);
        return response;
    }

    /// <summary>The project's lists with their task counts, or null when no such project is visible.</summary>
    public async Task<CursorPage<TaskListResponse>?> ListAsync(Guid projectId, string search, Keyset keyset, CancellationToken ct)
    {
        if (!await db.Set<Project>().AnyAsync(p => p.Id == projectId, ct))
        {
            return null;
        }

        var lists = db.Set<TaskList>().AsNoTracking().Where(l => l.ProjectId == projectId);
        if (search.Length > 0)
        {
            var pattern = WorkInput.Contains(search.ToLowerInvariant());
            lists = lists.Where(l => EF.Functions.Like(l.Title.ToLower(), pattern, "\\"));
        }

        var (rows, next) = await keyset.RowsAsync(lists, Sorts, ct);
        var counts = await CountsAsync([.. rows.Select(l => l.Id)], ct);
        return new CursorPage<TaskListResponse>(
            [.. rows.Select(l => l.ToResponse(counts.GetValueOrDefault(l.Id).Total, counts.GetValueOrDefault(l.Id).Done))], keyset.PageSize, next);
    }

    public async Task<Outcome<TaskListResponse>> UpdateAsync(Guid projectId, Guid listId, UpdateTaskListRequest input, CancellationToken ct)
    {
        var list = await db.Set<TaskList>().FirstOrDefaultAsync(l => l.Id == listId && l.ProjectId == projectId, ct);
        if (list is null)
        {
            return Answers.TaskListNotFound();
        }

        var errors = new Validator();
        var title = input.Title is null ? list.Title : errors.Required("title", input.Title);
        var position = WorkInput.Position(errors, input.Position);
        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        if (position is { } wanted && wanted != list.Position)
        {
            var old = list.Position;
            var count = await db.Set<TaskList>().CountAsync(l => l.ProjectId == projectId && l.Id != listId, ct);
            var at = Math.Min(wanted, count);
            await db.Set<TaskList>().Where(l => l.ProjectId == projectId && l.Id != listId && l.Position > old)
                .ExecuteUpdateAsync(u => u.SetProperty(l => l.Position, l => l.Position - 1), ct);
            await db.Set<TaskList>().Where(l => l.ProjectId == projectId && l.Id != listId && l.Position >= at)
                .ExecuteUpdateAsync(u => u.SetProperty(l => l.Position, l => l.Position + 1), ct);
            list.Position = at;
        }

        list.Title = title;
        await db.SaveChangesAsync(ct);
        var counts = await CountsAsync([listId], ct);
        var response = list.ToResponse(counts.GetValueOrDefault(listId).Total, counts.GetValueOrDefault(listId).Done);
        await db.RaiseAsync(DevContextEvents.TaskListUpdated, response, ct);
        return response;
    }

    /// <summary>Deletes the list with its tasks.</summary>
    public async Task<Refusal?> DeleteAsync(Guid projectId, Guid listId, CancellationToken ct)
    {
        var list = await db.Set<TaskList>().FirstOrDefaultAsync(l => l.Id == listId && l.ProjectId == projectId, ct);
        if (list is null)
        {
            return Answers.TaskListNotFound();
        }

        var counts = await CountsAsync([listId], ct);
        var response = list.ToResponse(counts.GetValueOrDefault(listId).Total, counts.GetValueOrDefault(listId).Done);
        db.Remove(list);
        await db.SaveChangesAsync(ct);
        await db.Set<TaskList>().Where(l => l.ProjectId == projectId && l.Position > list.Position)
            .ExecuteUpdateAsync(u => u.SetProperty(l => l.Position, l => l.Position - 1), ct);
        await db.RaiseAsync(DevContextEvents.TaskListDeleted, response, ct);
        return null;
    }

    /// <summary>
    /// Adds the document's lists (after the project's own) with their tasks, sub-tasks and checkbox states, in one
    /// transaction and one save. The task numbers come from the project's counter in one step.
    /// </summary>
    public async Task<Outcome<ImportResponse>> ImportAsync(Guid projectId, string? markdown, CancellationToken ct)
    {
        if (!await db.Set<Project>().AnyAsync(p => p.Id == projectId, ct))
        {
            return Answers.ProjectNotFound();
        }

        var errors = new Validator();
        if (string.IsNullOrWhiteSpace(markdown))
        {
            return Refusal.Invalid("markdown", "is required.");
        }

        WorkInput.LongText(errors, "markdown", markdown, int.MaxValue);
        var sections = Checklist.Parse(markdown);
        CheckTitles(errors, sections);
        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        var total = Checklist.Count(sections);
        var number = total == 0 ? 0 : await TaskBoard.TakeNumbersAsync(db, projectId, total, ct);
        var listPosition = await db.Set<TaskList>().CountAsync(l => l.ProjectId == projectId, ct);
        var now = db.UtcNow;
        var createdBy = tenant.UserId ?? tenant.ApiKeyCreatorId;
        int done = 0, subTasks = 0;
        foreach (var section in sections)
        {
            var list = new TaskList { ProjectId = projectId, Title = section.Title, Position = listPosition++ };
            db.Add(list);
            var position = 0;
            void AddAll(IEnumerable<Checklist.Item> items, Guid? parentId)
            {
                foreach (var item in items)
                {
                    var task = new ProjectTask
                    {
                        ProjectId = projectId,
                        TaskListId = list.Id,
                        ParentId = parentId,
                        Number = number++,
                        Title = item.Title,
                        Status = item.Done ? TaskStatuses.Done : TaskStatuses.Todo,
                        CompletedAt = item.Done ? now : null,
                        Priority = 1,
                        Position = position++,
                        CreatedBy = createdBy,
                    };
                    db.Add(task);
                    done += item.Done ? 1 : 0;
                    subTasks += parentId is null ? 0 : 1;
                    AddAll(item.Children, task.Id);
                }
            }

            AddAll(section.Items, null);
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

        db.ChangeTracker.Clear();
        var response = new ImportResponse(sections.Count, total, done, subTasks);
        AuditRecorder.Explicit(db, tenant.TenantId!.Value, DevContextEvents.ProjectImported, "project", projectId, new JsonObject
        {
            ["task_lists"] = new JsonObject { ["before"] = null, ["after"] = response.TaskLists },
            ["tasks"] = new JsonObject { ["before"] = null, ["after"] = response.Tasks },
            ["done"] = new JsonObject { ["before"] = null, ["after"] = response.Done },
        }, now);
        await db.SaveChangesAsync(ct);
        await db.RaiseAsync(DevContextEvents.ProjectImported, new { id = projectId, task_lists = response.TaskLists, tasks = response.Tasks, done = response.Done, sub_tasks = response.SubTasks }, ct);
        return response;
    }

    /// <summary>The project's lists and tasks as a markdown checklist (see <see cref="Checklist"/>), or null when no such project is visible.</summary>
    public async Task<ExportResponse?> ExportAsync(Guid projectId, CancellationToken ct)
    {
        if (!await db.Set<Project>().AnyAsync(p => p.Id == projectId, ct))
        {
            return null;
        }

        var lists = await db.Set<TaskList>().AsNoTracking().Where(l => l.ProjectId == projectId)
            .OrderBy(l => l.Position).ThenBy(l => l.Id).ToListAsync(ct);
        var tasks = await db.Set<ProjectTask>().AsNoTracking().Where(t => t.ProjectId == projectId)
            .Select(t => new { t.Id, t.TaskListId, t.ParentId, t.Title, t.Status, t.Position }).ToListAsync(ct);
        var ordered = tasks.OrderBy(t => t.Position).ThenBy(t => t.Id).ToList();
        var byId = ordered.ToDictionary(t => t.Id);
        var items = ordered.ToDictionary(t => t.Id, t => new Checklist.Item(t.Title, t.Status == TaskStatuses.Done, [], 0));
        var sections = lists.ToDictionary(l => l.Id, l => new Checklist.Section(l.Title, []));
        foreach (var task in ordered)
        {
            // A sub-task sits under its parent when both are in the same list; otherwise it is a top item of its own list.
            if (task.ParentId is { } parentId && byId.TryGetValue(parentId, out var parent) && parent.TaskListId == task.TaskListId)
            {
                items[parentId].Children.Add(items[task.Id]);
            }
            else
            {
                sections[task.TaskListId].Items.Add(items[task.Id]);
            }
        }

        return new ExportResponse(projectId, Checklist.Write(lists.Select(l => sections[l.Id])));
    }

    private static void CheckTitles(Validator errors, List<Checklist.Section> sections)
    {
        foreach (var section in sections)
        {
            if (section.Title.Length > 200 || WireText.Problem(section.Title) is not null)
            {
                errors.Add("markdown", $"the heading \"{Shorten(section.Title)}\" is too long for a list title (at most 200 characters) or has control characters.");
                return;
            }

            if (FirstBadItem(section.Items) is { } item)
            {
                errors.Add("markdown", $"line {item.Line}: a task title must be at most {TaskBoard.MaxTitle} characters without control characters.");
                return;
            }
        }
    }

    private static Checklist.Item? FirstBadItem(List<Checklist.Item> items)
    {
        foreach (var item in items)
        {
            if (item.Title.Length > TaskBoard.MaxTitle || WireText.Problem(item.Title) is not null)
            {
                return item;
            }

            if (FirstBadItem(item.Children) is { } bad)
            {
                return bad;
            }
        }

        return null;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private async Task<Dictionary<Guid, (int Total, int Done)>> CountsAsync(List<Guid> listIds, CancellationToken ct)
    {
        var rows = await db.Set<ProjectTask>().AsNoTracking().Where(t => listIds.Contains(t.TaskListId))
            .GroupBy(t => t.TaskListId)
            .Select(g => new { g.Key, Total = g.Count(), Done = g.Count(t => t.Status == TaskStatuses.Done) })
            .ToListAsync(ct);
        return rows.ToDictionary(r => r.Key, r => (r.Total, r.Done));
    }
}

internal static class TaskListMapping
{
    public static TaskListResponse ToResponse(this TaskList l, int taskCount, int doneCount) =>
        new(l.Id, l.ProjectId, l.Title, l.Position, taskCount, doneCount, l.CreatedAt, l.UpdatedAt);
}

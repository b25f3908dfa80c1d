using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Data;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.DevContext.Repositories;
using Coditect.Server.DevContext.Tasks;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.DevContext.Pages;

/// <summary>
/// One task by reference (<c>KEY-42</c>) or id: its facts, description, dependencies both ways and linked commits; for
/// those who manage work, the checkbox, an edit form, a move to another list, and dependencies added and removed.
/// Every action is the API's use case (a done task with an open dependency needs "anyway": <c>force</c>).
/// </summary>
[RequirePermission(Permission.ReadWork)]
public sealed class TaskModel(TaskBoard board, TaskGraph graph, TaskLists lists, ProjectAdmin projects, CommitSync commits, CoditectDbContext db)
    : ConsolePage
{
    public TaskResponse Task { get; private set; } = null!;
    public ProjectResponse Project { get; private set; } = null!;
    public IReadOnlyList<TaskListResponse> Lists { get; private set; } = [];
    public DependenciesResponse Dependencies { get; private set; } = null!;
    public CursorPage<CommitResponse> Commits { get; private set; } = new([], 20, null);
    public IReadOnlyList<WorkPages.Member> Members { get; private set; } = [];

    /// <summary>Why the last action was refused when it is a rule, not a field (<c>TASK_BLOCKED</c>, <c>DEPENDENCY_CYCLE</c>).</summary>
    public string? Error { get; private set; }

    public override string Title => Task is null ? "Task" : $"{Task.Reference} {Task.Title}";

    public string TaskPath => Shell.OrgPath($"/tasks/{Task.Reference}");

    public string? MemberName(Guid? id) => id is { } who ? Members.FirstOrDefault(m => m.Id == who)?.Name ?? who.ToString() : null;

    public async Task<IActionResult> OnGetAsync(string task, CancellationToken ct) => await LoadAsync(task, ct) ? Page() : NotFound();

    [RequirePermission(Permission.ManageWork)]
    public async Task<IActionResult> OnPostToggleAsync(string task, [FromForm(Name = "force")] bool force, CancellationToken ct) =>
        await AfterAsync(task, await board.ToggleAsync(task, force, ct), t => t.Done ? $"{t.Reference} is done." : $"{t.Reference} is open again.", ct);

    [RequirePermission(Permission.ManageWork)]
    public async Task<IActionResult> OnPostEditAsync(string task,
        [FromForm(Name = "title")] string? title, [FromForm(Name = "status")] string? status, [FromForm(Name = "priority")] string? priority,
        [FromForm(Name = "assignee_id")] string? assignee, [FromForm(Name = "due_date")] string? due, [FromForm(Name = "labels")] string? labels,
        [FromForm(Name = "description")] string? description, [FromForm(Name = "force")] bool force, CancellationToken ct)
    {
        var body = new Dictionary<string, object?>
        {
            ["title"] = title ?? "",
            ["status"] = status ?? "",
            ["priority"] = priority ?? "",
            ["assignee_id"] = Guid.TryParse(assignee, out var who) ? who : null,
            ["due_date"] = WorkPages.Blank(due),
            ["labels"] = (labels ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            ["description"] = WorkPages.Blank(description),
            ["force"] = force,
        };
        return await AfterAsync(task, await board.UpdateAsync(task, WorkPages.Body(body), ct), t => $"{t.Reference} is saved.", ct);
    }

    [RequirePermission(Permission.ManageWork)]
    public async Task<IActionResult> OnPostMoveAsync(string task, [FromForm(Name = "task_list_id")] Guid? listId, CancellationToken ct) =>
        await AfterAsync(task, await board.MoveAsync(task, listId, null, ct), t => $"{t.Reference} is moved.", ct);

    [RequirePermission(Permission.ManageWork)]
    public async Task<IActionResult> OnPostDependAsync(string task, [FromForm(Name = "reference")] string? reference, CancellationToken ct) =>
        await AfterAsync(task, await graph.AddAsync(task, new AddDependencyRequest(null, reference?.Trim()), ct), _ => "The dependency is added.", ct);

    [RequirePermission(Permission.ManageWork)]
    public async Task<IActionResult> OnPostUndependAsync(string task, [FromForm(Name = "depends_on")] string? dependsOn, CancellationToken ct) =>
        await AfterAsync(task, await graph.RemoveAsync(task, dependsOn ?? "", ct), _ => "The dependency is removed.", ct);

    /// <summary>Post/redirect/get on success (to the task's reference, which a move keeps); the page with the refusal otherwise.</summary>
    private async Task<IActionResult> AfterAsync<T>(string task, Outcome<T> outcome, Func<T, string> flash, CancellationToken ct) where T : class
    {
        if (outcome.Value is { } value)
        {
            var reference = value is TaskResponse t ? t.Reference : task;
            return RedirectWith(Shell.OrgPath($"/tasks/{Uri.EscapeDataString(reference)}"), flash(value));
        }

        var refusal = outcome.Refusal!;
        if (!await LoadAsync(task, ct))
        {
            return NotFound();
        }

        if (refusal.Errors is { } errors)
        {
            ShowErrors(errors);
        }
        else if (refusal.Extensions?.TryGetValue("field", out var field) == true && field is string name)
        {
            ShowErrors(new Validator().Add(name, refusal.Title));
        }
        else
        {
            Error = refusal.Title;
        }

        var page = Page();
        page.StatusCode = refusal.Status;
        return page;
    }

    private async Task<bool> LoadAsync(string key, CancellationToken ct)
    {
        if (await board.GetAsync(key, ct) is not { } task || await projects.GetAsync(task.ProjectId, ct) is not { } project)
        {
            return false;
        }

        (Task, Project) = (task, project);
        Lists = (await lists.ListAsync(project.Id, "", new Keyset("position", false, Keyset.MaxPageSize, null, null), ct))?.Items ?? [];
        Dependencies = (await graph.GetAsync(task.Reference, ct)).Value!;
        Commits = await commits.ForTaskAsync(task.Id, new Keyset("committed_at", true, 20, null, null), ct);
        Members = await WorkPages.MembersAsync(db, ct);
        return true;
    }
}

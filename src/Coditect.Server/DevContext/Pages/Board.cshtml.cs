using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Data;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.DevContext.Tasks;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.DevContext.Pages;

/// <summary>
/// A project's board: one column per status, each the first page of its tasks (all lists, or the one chosen), newest
/// number last. A card moves to another column by its status form (keyboard, no script needed), by Alt+arrow keys on
/// the focused card, or by drag and drop (board.js); with htmx the board is swapped in place and the card keeps focus.
/// Status changes go through the API's rules (<c>TASK_BLOCKED</c> shows as an alert).
/// </summary>
[RequirePermission(Permission.ReadWork)]
public sealed class BoardModel(TaskBoard board, CoditectDbContext db) : ConsolePage
{
    public sealed record Column(string Status, CursorPage<TaskResponse> Tasks);

    /// <summary>What the board shows of its project (its aliases and repositories, which the API's answer adds, it does not).</summary>
    public sealed record BoardProject(Guid Id, string Name, string Key);

    public BoardProject Project { get; private set; } = null!;
    /// <summary>A task list as the board names it (the filter and the new card's list); no task counts, which the board does not show.</summary>
    public sealed record ListChoice(Guid Id, string Title);

    public IReadOnlyList<ListChoice> Lists { get; private set; } = [];
    public IReadOnlyList<Column> Columns { get; private set; } = [];
    public IReadOnlyDictionary<Guid, WorkPages.Member> Members { get; private set; } = new Dictionary<Guid, WorkPages.Member>();
    public Guid? ListId { get; private set; }

    /// <summary>When set, only this status's column, from <c>cursor</c> on (the "more" link of a full column).</summary>
    public string? OnlyStatus { get; private set; }

    /// <summary>What the last move did or why it was refused, announced in the board's live region.</summary>
    public string? Announcement { get; private set; }
    public bool Refused { get; private set; }
    public string? NewTitle { get; private set; }

    public override string Title => Project is null ? "Board" : Project.Name + " board";

    public string BoardPath => Shell.OrgPath($"/projects/{Project.Id}/board");

    public string ListName(Guid listId) => Lists.FirstOrDefault(l => l.Id == listId)?.Title ?? "";

    public string ColumnUrl(string status, string? cursor) =>
        $"{BoardPath}?status={status}" + (ListId is { } l ? $"&list={l}&sort=position" : "") + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));

    public async Task<IActionResult> OnGetAsync(Guid id, [FromQuery(Name = "list")] Guid? list, [FromQuery(Name = "status")] string? status, CancellationToken ct) =>
        await LoadAsync(id, list, status, ct) ? Page() : NotFound();

    /// <summary>Sets a task's status (the card's form, a drag or a key). Without htmx: post/redirect/get back to the board.</summary>
    [RequirePermission(Permission.ManageWork)]
    public async Task<IActionResult> OnPostStatusAsync(Guid id, [FromForm(Name = "task")] string? task, [FromForm(Name = "status")] string? status,
        [FromForm(Name = "list")] Guid? list, CancellationToken ct)
    {
        var changed = await board.UpdateAsync(task ?? "", WorkPages.Body(new Dictionary<string, object?> { ["status"] = status }), ct);
        if (changed.Value is not { } done)
        {
            if (changed.Refusal!.Status == StatusCodes.Status404NotFound)
            {
                return NotFound();
            }

            Refused = true;
            Announcement = changed.Refusal.Errors is { } errors
                ? string.Join(" ", errors.ToDictionary().Select(e => $"{e.Key} {string.Join(" ", e.Value)}"))
                : changed.Refusal.Title;
            if (!await LoadAsync(id, list, null, ct))
            {
                return NotFound();
            }

            // htmx swaps only 2xx answers: the refusal is the board with its alert; without htmx, the real status.
            var page = Page();
            page.StatusCode = IsHtmx ? StatusCodes.Status200OK : changed.Refusal.Status;
            return page;
        }

        var message = $"{done.Reference} moved to {WorkPages.StatusName(done.Status)}.";
        if (!IsHtmx)
        {
            return RedirectWith(Shell.OrgPath($"/projects/{id}/board") + (list is { } l ? $"?list={l}" : ""), message);
        }

        Announcement = message;
        return await LoadAsync(id, list, null, ct) ? Page() : NotFound();
    }

    [RequirePermission(Permission.ManageWork)]
    public async Task<IActionResult> OnPostAddAsync(Guid id, [FromForm(Name = "title")] string? title, [FromForm(Name = "task_list_id")] Guid? listId,
        [FromForm(Name = "list")] Guid? list, CancellationToken ct)
    {
        var created = await board.CreateAsync(new CreateTaskRequest(listId, title), ct);
        if (created.Value is not { } task)
        {
            if (!await LoadAsync(id, list, null, ct))
            {
                return NotFound();
            }

            NewTitle = title;
            ShowErrors(created.Refusal!.Errors ?? new Validator().Add("task_list_id", created.Refusal.Title));
            var page = Page();
            page.StatusCode = created.Refusal.Status;
            return page;
        }

        return RedirectWith(Shell.OrgPath($"/projects/{id}/board") + (list is { } l ? $"?list={l}" : ""), $"{task.Reference} {task.Title} is added.");
    }

    private bool IsHtmx => Request.Headers["HX-Request"] == "true";

    private async Task<bool> LoadAsync(Guid id, Guid? list, string? status, CancellationToken ct)
    {
        if (await db.Set<Project>().AsNoTracking().Where(p => p.Id == id).Select(p => new BoardProject(p.Id, p.Name, p.Key)).FirstOrDefaultAsync(ct) is not { } project)
        {
            return false;
        }

        Project = project;
        Lists = await db.Set<TaskList>().AsNoTracking().Where(l => l.ProjectId == id).OrderBy(l => l.Position).ThenBy(l => l.Id)
            .Take(Keyset.MaxPageSize).Select(l => new ListChoice(l.Id, l.Title)).ToListAsync(ct);
        ListId = list is { } l && Lists.Any(x => x.Id == l) ? l : null;
        OnlyStatus = status is not null && WorkPages.Statuses.Contains(status) ? status : null;
        if (OnlyStatus is null)
        {
            // Every column's first page: the list's order when one list is chosen, else task numbers.
            var first = new Keyset(ListId is null ? "number" : "position", false, Keyset.DefaultPageSize, null, null);
            var pages = await board.ColumnsAsync(id, ListId, WorkPages.Statuses, first, ct);
            Columns = [.. WorkPages.Statuses.Select(s => new Column(s, pages[s]))];
        }
        else
        {
            // One column from its cursor on (the "more" link of a full column).
            var errors = new Validator();
            var keyset = Keyset.Parse(Request, errors, TaskBoard.Sorts);
            if (!errors.IsValid)
            {
                keyset = new Keyset("number", false, Keyset.DefaultPageSize, null, null);
            }

            var filter = new TaskBoard.TaskFilter(id, ListId, null, OnlyStatus, null, null, false, null, null, "");
            Columns = [new Column(OnlyStatus, await board.ListAsync(filter, keyset, ct))];
        }

        Members = (await WorkPages.MembersAsync(db, ct)).ToDictionary(m => m.Id);
        return true;
    }
}

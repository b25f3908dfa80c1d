using Coditect.Contracts.DevContext;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.DevContext.Repositories;
using Coditect.Server.DevContext.Stats;
using Coditect.Server.DevContext.Tasks;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.DevContext.Pages;

/// <summary>
/// One project: its statistics, task lists with their counts, linked repositories; for those who manage work, a new
/// task list and a markdown checklist import. The export downloads the checklist the import reads back.
/// </summary>
[RequirePermission(Permission.ReadWork)]
public sealed class ProjectModel(ProjectAdmin projects, TaskLists lists, WorkStats stats, RepositoryAdmin repositories, TimeProvider clock) : ConsolePage
{
    public ProjectResponse Project { get; private set; } = null!;
    public ProjectStatsResponse Stats { get; private set; } = null!;
    public IReadOnlyList<TaskListResponse> Lists { get; private set; } = [];
    public bool MoreLists { get; private set; }
    public IReadOnlyList<RepositoryResponse> Repositories { get; private set; } = [];
    public string? ListTitle { get; private set; }
    public string? Markdown { get; private set; }
    public DateTime Now => clock.GetUtcNow().UtcDateTime;

    public override string Title => Project?.Name ?? "Project";

    public string ProjectPath => Shell.OrgPath($"/projects/{Project.Id}");

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct) => await LoadAsync(id, ct) ? Page() : NotFound();

    /// <summary>The project's task lists as a markdown checklist, as <c>GET .../export</c> gives it.</summary>
    public async Task<IActionResult> OnGetExportAsync(Guid id, CancellationToken ct)
    {
        if (await lists.ExportAsync(id, ct) is not { } export || await projects.GetAsync(id, ct) is not { } project)
        {
            return NotFound();
        }

        return File(System.Text.Encoding.UTF8.GetBytes(export.Markdown), "text/markdown; charset=utf-8", $"{project.Slug}-tasks.md");
    }

    [RequirePermission(Permission.ManageWork)]
    public async Task<IActionResult> OnPostListAsync(Guid id, [FromForm(Name = "title")] string? title, CancellationToken ct)
    {
        var created = await lists.CreateAsync(id, new CreateTaskListRequest(title), ct);
        if (created.Value is not { } list)
        {
            ListTitle = title;
            return await RefusedAsync(id, created.Refusal!, ct);
        }

        return RedirectWith(Shell.OrgPath($"/projects/{id}"), $"Task list {list.Title} is added.");
    }

    [RequirePermission(Permission.ManageWork)]
    public async Task<IActionResult> OnPostImportAsync(Guid id, [FromForm(Name = "markdown")] string? markdown, CancellationToken ct)
    {
        var imported = await lists.ImportAsync(id, markdown, ct);
        if (imported.Value is not { } result)
        {
            Markdown = markdown;
            return await RefusedAsync(id, imported.Refusal!, ct);
        }

        return RedirectWith(Shell.OrgPath($"/projects/{id}"),
            $"Imported {result.TaskLists} task lists and {result.Tasks} tasks ({result.Done} done, {result.SubTasks} sub-tasks).");
    }

    private async Task<IActionResult> RefusedAsync(Guid id, Refusal refusal, CancellationToken ct)
    {
        if (refusal.Status == StatusCodes.Status404NotFound || !await LoadAsync(id, ct))
        {
            return NotFound();
        }

        ShowErrors(refusal.Errors ?? new Validator().Add("title", refusal.Title));
        var page = Page();
        page.StatusCode = refusal.Status;
        return page;
    }

    private async Task<bool> LoadAsync(Guid id, CancellationToken ct)
    {
        if (await projects.GetAsync(id, ct) is not { } project || await stats.ProjectAsync(id, ct) is not { } numbers)
        {
            return false;
        }

        (Project, Stats) = (project, numbers);
        var page = await lists.ListAsync(id, "", new Keyset("position", false, Keyset.MaxPageSize, null, null), ct);
        Lists = page?.Items ?? [];
        MoreLists = page?.NextCursor is not null;
        Repositories = (await repositories.ListAsync(new RepositoryAdmin.RepositoryFilter(null, id, null, ""),
            new Keyset("name", false, Keyset.MaxPageSize, null, null), ct)).Items;
        return true;
    }
}

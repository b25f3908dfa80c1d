using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.DevContext.Plans;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.DevContext.Pages;

/// <summary>
/// A project's plan: the current version (or <c>?version=N</c>), its history (newest first, keyset pages) with a diff
/// link per version, and for those who manage work the editor that saves a new version.
/// </summary>
[RequirePermission(Permission.ReadWork)]
public sealed class PlanModel(ProjectAdmin projects, PlanHistory plans) : ConsolePage
{
    public ProjectResponse Project { get; private set; } = null!;
    public PlanResponse Plan { get; private set; } = null!;
    public int Latest { get; private set; }
    public CursorPage<PlanVersionSummary> Versions { get; private set; } = new([], Keyset.DefaultPageSize, null);
    public string? Draft { get; private set; }
    public string? Summary { get; private set; }

    public override string Title => Project is null ? "Plan" : Project.Name + " plan";

    public string PlanPath => Shell.OrgPath($"/projects/{Project.Id}/plan");

    public async Task<IActionResult> OnGetAsync(Guid id, [FromQuery(Name = "version")] int? version, CancellationToken ct) =>
        await LoadAsync(id, version, ct) ? Page() : NotFound();

    [RequirePermission(Permission.ManageWork)]
    public async Task<IActionResult> OnPostAsync(Guid id, [FromForm(Name = "content")] string? content, [FromForm(Name = "summary")] string? summary,
        CancellationToken ct)
    {
        var saved = await plans.PutAsync(id, new PutPlanRequest(content ?? "", WorkPages.Blank(summary)), ct);
        if (saved.Value is { } plan)
        {
            return RedirectWith(Shell.OrgPath($"/projects/{id}/plan"), $"The plan is saved as version {plan.Version}.");
        }

        if (saved.Refusal!.Status == StatusCodes.Status404NotFound || !await LoadAsync(id, null, ct))
        {
            return NotFound();
        }

        (Draft, Summary) = (content, summary);
        ShowErrors(saved.Refusal.Errors ?? new Validator().Add("content", saved.Refusal.Title));
        var page = Page();
        page.StatusCode = saved.Refusal.Status;
        return page;
    }

    private async Task<bool> LoadAsync(Guid id, int? version, CancellationToken ct)
    {
        if (await projects.GetAsync(id, ct) is not { } project || await plans.GetAsync(id, null, ct) is not { } current)
        {
            return false;
        }

        Project = project;
        Latest = current.Version;
        if (version is { } wanted && wanted != current.Version)
        {
            if (wanted < 1 || await plans.GetAsync(id, wanted, ct) is not { } old)
            {
                return false;
            }

            Plan = old;
        }
        else
        {
            Plan = current;
        }

        var errors = new Validator();
        var keyset = Keyset.Parse(Request, errors, PlanHistory.Sorts);
        Versions = await plans.VersionsAsync(id, errors.IsValid ? keyset : new Keyset("version", true, Keyset.DefaultPageSize, null, null), ct)
            ?? Versions;
        return true;
    }
}

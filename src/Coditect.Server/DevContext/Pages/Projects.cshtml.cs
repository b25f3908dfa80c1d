using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.DevContext.Pages;

/// <summary>The organization's projects (keyset pages, search, status), and the form that creates one.</summary>
[RequirePermission(Permission.ReadWork)]
public sealed class ProjectsModel(ProjectAdmin projects) : ConsolePage
{
    public CursorPage<ProjectResponse> Listing { get; private set; } = new([], Keyset.DefaultPageSize, null);
    public string Search { get; private set; } = "";
    public string? Status { get; private set; }
    public string? Name { get; private set; }
    public string? Key { get; private set; }
    public string? Description { get; private set; }

    public override string Title => "Projects";

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    [RequirePermission(Permission.ManageWork)]
    public async Task<IActionResult> OnPostAsync([FromForm(Name = "name")] string? name, [FromForm(Name = "key")] string? key,
        [FromForm(Name = "description")] string? description, CancellationToken ct)
    {
        var created = await projects.CreateAsync(new CreateProjectRequest(name, null, WorkPages.Blank(key), WorkPages.Blank(description)), ct);
        if (created.Value is not { } project)
        {
            ShowErrors(created.Refusal!.Errors ?? new Validator().Add(created.Refusal.Code == ProblemCodes.ProjectKeyTaken ? "key" : "name", created.Refusal.Title));
            (Name, Key, Description) = (name, key, description);
            await LoadAsync(ct);
            var page = Page();
            page.StatusCode = created.Refusal.Status;
            return page;
        }

        return RedirectWith(Shell.OrgPath($"/projects/{project.Id}"), $"Project {project.Name} ({project.Key}) is created.");
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var errors = new Validator();
        var keyset = Keyset.Parse(Request, errors, ProjectAdmin.Sorts);
        Search = Query.Search(Request, errors);
        Status = Query.OneOf(Request, errors, "status", [ProjectStatuses.Active, ProjectStatuses.Archived]);
        if (!errors.IsValid)
        {
            ShowErrors(errors);
            keyset = keyset with { AfterId = null, AfterValue = null };
        }

        Listing = await projects.ListAsync(new ProjectAdmin.ProjectFilter(Status, null, Search), keyset, ct);
    }

    public string NextUrl(string cursor) =>
        Shell.OrgPath("/projects") + "?" + string.Join("&", new[] { ("search", Search), ("status", Status ?? ""), ("cursor", cursor) }
            .Where(p => p.Item2.Length > 0).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2)}"));
}

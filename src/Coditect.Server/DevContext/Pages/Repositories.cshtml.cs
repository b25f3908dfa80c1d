using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.DevContext.Repositories;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.DevContext.Pages;

/// <summary>The organization's git repositories (keyset pages, search), and the form that registers one.</summary>
[RequirePermission(Permission.ReadWork)]
public sealed class RepositoriesModel(RepositoryAdmin repositories, ProjectAdmin projects, TimeProvider clock) : ConsolePage
{
    public CursorPage<RepositoryResponse> Listing { get; private set; } = new([], Keyset.DefaultPageSize, null);
    public IReadOnlyList<ProjectResponse> Projects { get; private set; } = [];
    public string Search { get; private set; } = "";
    public CreateRepositoryRequest Draft { get; private set; } = new(null);
    public DateTime Now => clock.GetUtcNow().UtcDateTime;

    public override string Title => "Repositories";

    public string? ProjectName(Guid? id) => id is { } p ? Projects.FirstOrDefault(x => x.Id == p)?.Name : null;

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    [RequirePermission(Permission.ManageWork)]
    public async Task<IActionResult> OnPostAsync([FromForm(Name = "name")] string? name, [FromForm(Name = "provider")] string? provider,
        [FromForm(Name = "clone_url")] string? cloneUrl, [FromForm(Name = "default_branch")] string? branch,
        [FromForm(Name = "project_id")] Guid? projectId, CancellationToken ct)
    {
        var request = new CreateRepositoryRequest(name, WorkPages.Blank(provider), WorkPages.Blank(cloneUrl), WorkPages.Blank(branch), projectId);
        var created = await repositories.CreateAsync(request, ct);
        if (created.Value is not { } repository)
        {
            Draft = request;
            ShowErrors(created.Refusal!.Errors ?? new Validator().Add("name", created.Refusal.Title));
            await LoadAsync(ct);
            var page = Page();
            page.StatusCode = created.Refusal.Status;
            return page;
        }

        return RedirectWith(Shell.OrgPath($"/repositories/{repository.Id}"),
            $"Repository {repository.Name} is registered. Send its commits with: coditect repo sync PATH --repository {repository.Name}");
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var errors = new Validator();
        var keyset = Keyset.Parse(Request, errors, RepositoryAdmin.Sorts);
        Search = Query.Search(Request, errors);
        if (!errors.IsValid)
        {
            keyset = new Keyset("name", false, Keyset.DefaultPageSize, null, null);
        }

        Listing = await repositories.ListAsync(new RepositoryAdmin.RepositoryFilter(null, null, null, Search), keyset, ct);
        Projects = (await projects.ListAsync(new ProjectAdmin.ProjectFilter(ProjectStatuses.Active, null, ""),
            new Keyset("name", false, Keyset.MaxPageSize, null, null), ct)).Items;
    }
}

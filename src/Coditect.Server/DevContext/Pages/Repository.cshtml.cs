using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.DevContext.Repositories;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.DevContext.Pages;

/// <summary>One repository: its facts, the newest commit known per branch, and its commits (newest first, keyset pages; branch, author and text filters).</summary>
[RequirePermission(Permission.ReadWork)]
public sealed class RepositoryModel(RepositoryAdmin repositories, CommitSync commits) : ConsolePage
{
    public RepositoryResponse Repository { get; private set; } = null!;
    public SyncStateResponse State { get; private set; } = null!;
    public CursorPage<CommitResponse> Commits { get; private set; } = new([], Keyset.DefaultPageSize, null);
    public string Search { get; private set; } = "";
    public string? Branch { get; private set; }

    public override string Title => Repository?.Name ?? "Repository";

    public string RepositoryPath => Shell.OrgPath($"/repositories/{Repository.Id}");

    public string NextUrl(string cursor) => RepositoryPath + "?cursor=" + Uri.EscapeDataString(cursor)
        + (Search.Length > 0 ? "&search=" + Uri.EscapeDataString(Search) : "") + (Branch is { } b ? "&branch=" + Uri.EscapeDataString(b) : "");

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        if (await repositories.GetAsync(id, ct) is not { } repository || await commits.SyncStateAsync(id, ct) is not { } state)
        {
            return NotFound();
        }

        (Repository, State) = (repository, state);
        var errors = new Validator();
        var keyset = Keyset.Parse(Request, errors, CommitSync.Sorts);
        Search = Query.Search(Request, errors);
        Branch = WorkPages.Blank(Query.Text(Request, "branch"));
        if (!errors.IsValid)
        {
            ShowErrors(errors);
            keyset = new Keyset("committed_at", true, Keyset.DefaultPageSize, null, null);
        }

        Commits = await commits.ListAsync(id, new CommitSync.CommitFilter(Branch, null, Search, null, null), keyset, ct) ?? Commits;
        return Page();
    }
}

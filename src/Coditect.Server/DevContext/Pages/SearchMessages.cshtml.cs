using Coditect.Contracts.DevContext;
using Coditect.Server.Data;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.DevContext.Search;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;

namespace Coditect.Server.DevContext.Pages;

/// <summary>
/// Full-text search over the organization's messages and conversation titles, as <c>GET .../messages/search</c>: the
/// same query string, ranked hits with highlighted snippets (HTML-escaped by the search, <c>&lt;mark&gt;</c> added),
/// each linked to its message in the timeline.
/// </summary>
[RequirePermission(Permission.ReadWork)]
public sealed class SearchMessagesModel(MessageSearch search, ProjectAdmin projects, CoditectDbContext db) : ConsolePage
{
    public SearchResponse? Results { get; private set; }
    public IReadOnlyList<ProjectResponse> Projects { get; private set; } = [];
    public IReadOnlyList<WorkPages.Member> Members { get; private set; } = [];
    public string Q { get; private set; } = "";
    public bool Thinking { get; private set; }
    public bool ToolResults { get; private set; }
    public Guid? ProjectId { get; private set; }
    public Guid? WorkSessionId { get; private set; }
    public Guid? UserId { get; private set; }
    public string? Role { get; private set; }
    public string? Tool { get; private set; }
    public string? From { get; private set; }
    public string? To { get; private set; }

    public override string Title => "Search messages";

    public string? ProjectName(Guid? id) => id is { } p ? Projects.FirstOrDefault(x => x.Id == p)?.Name : null;

    public async Task OnGetAsync(CancellationToken ct)
    {
        Q = Request.Query["q"].ToString();
        var include = Request.Query["include"].ToString();
        (Thinking, ToolResults) = (include.Contains("thinking", StringComparison.Ordinal), include.Contains("tool_results", StringComparison.Ordinal));
        var scratch = new Validator();
        (ProjectId, WorkSessionId, UserId) = (Query.Id(Request, scratch, "project_id"), Query.Id(Request, scratch, "work_session_id"), Query.Id(Request, scratch, "user_id"));
        (Role, Tool) = (Query.Text(Request, "role"), Query.Text(Request, "tool"));
        (From, To) = (Query.Text(Request, "from"), Query.Text(Request, "to"));
        Projects = await SessionPages.ProjectsAsync(projects, ct);
        Members = await WorkPages.MembersAsync(db, ct);
        if (Q.Trim().Length == 0)
        {
            return; // the empty form
        }

        var errors = new Validator();
        if (SearchRequest.Read(Request, errors) is { } request)
        {
            Results = await search.SearchAsync(request, ct);
        }
        else
        {
            ShowErrors(errors);
        }
    }

    /// <summary>This search's next page.</summary>
    public string NextUrl(string cursor)
    {
        var query = Request.Query.Where(p => p.Key != "cursor")
            .SelectMany(p => p.Value.Select(v => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(v ?? "")}"));
        return Shell.OrgPath("/messages/search") + "?" + string.Join("&", query.Append("cursor=" + Uri.EscapeDataString(cursor)));
    }
}

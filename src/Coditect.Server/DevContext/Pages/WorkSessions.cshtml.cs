using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Data;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.DevContext.WorkSessions;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;

namespace Coditect.Server.DevContext.Pages;

/// <summary>The organization's work sessions, newest first (keyset pages as the API's), filtered by project, tool and member.</summary>
[RequirePermission(Permission.ReadWork)]
public sealed class WorkSessionsModel(WorkSessionAdmin sessions, ProjectAdmin projects, CoditectDbContext db) : ConsolePage
{
    public CursorPage<WorkSessionResponse> Listing { get; private set; } = new([], Keyset.DefaultPageSize, null);
    public IReadOnlyList<ProjectResponse> Projects { get; private set; } = [];
    public IReadOnlyList<WorkPages.Member> Members { get; private set; } = [];
    public Guid? ProjectId { get; private set; }
    public Guid? UserId { get; private set; }
    public string? Tool { get; private set; }

    public override string Title => "Work sessions";

    public string? ProjectName(Guid? id) => id is { } p ? Projects.FirstOrDefault(x => x.Id == p)?.Name : null;

    public string? MemberName(Guid? id) => id is { } u ? Members.FirstOrDefault(x => x.Id == u)?.Name : null;

    public async Task OnGetAsync(CancellationToken ct)
    {
        var errors = new Validator();
        var keyset = Keyset.Parse(Request, errors, WorkSessionAdmin.Sorts);
        ProjectId = Query.Id(Request, errors, "project_id");
        UserId = Query.Id(Request, errors, "user_id");
        Tool = Query.OneOf(Request, errors, "tool", WorkSessionAdmin.Tools);
        if (!errors.IsValid)
        {
            ShowErrors(errors);
            keyset = keyset with { AfterId = null, AfterValue = null };
        }

        Listing = await sessions.ListAsync(new WorkSessionAdmin.SessionFilter(ProjectId, UserId, Tool, null, null, null, null), keyset, ct);
        Projects = await SessionPages.ProjectsAsync(projects, ct);
        Members = await WorkPages.MembersAsync(db, ct);
    }

    public string NextUrl(string cursor) =>
        Shell.OrgPath("/work-sessions") + "?" + string.Join("&", new[]
            {
                ("project_id", ProjectId?.ToString() ?? ""), ("tool", Tool ?? ""), ("user_id", UserId?.ToString() ?? ""), ("cursor", cursor),
            }
            .Where(p => p.Item2.Length > 0).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2)}"));
}

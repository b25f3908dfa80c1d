using Coditect.Contracts.DevContext;
using Coditect.Server.DevContext.Plans;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.Organizations;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.DevContext.Pages;

/// <summary>The unified diff between two versions of a project's plan (<c>from</c> defaults to the one before <c>to</c>).</summary>
[RequirePermission(Permission.ReadWork)]
public sealed class PlanDiffModel(ProjectAdmin projects, PlanHistory plans) : ConsolePage
{
    public ProjectResponse Project { get; private set; } = null!;
    public PlanDiffResponse Diff { get; private set; } = null!;
    public int Latest { get; private set; }

    public override string Title => "Plan changes";

    public string PlanPath => Shell.OrgPath($"/projects/{Project.Id}/plan");

    /// <summary>The diff's lines with the class that colours them: added, removed, a hunk header, or context.</summary>
    public IEnumerable<(string Class, string Text)> Lines() =>
        Diff.Diff.Split('\n').Select(line => (line switch
        {
            _ when line.StartsWith("+++", StringComparison.Ordinal) || line.StartsWith("---", StringComparison.Ordinal) => "hunk",
            _ when line.StartsWith('+') => "add",
            _ when line.StartsWith('-') => "del",
            _ when line.StartsWith("@@", StringComparison.Ordinal) => "hunk",
            _ => "",
        }, line));

    public async Task<IActionResult> OnGetAsync(Guid id, [FromQuery(Name = "from")] int? from, [FromQuery(Name = "to")] int? to, CancellationToken ct)
    {
        if (await projects.GetAsync(id, ct) is not { } project || await plans.GetAsync(id, null, ct) is not { } current)
        {
            return NotFound();
        }

        if (from < 0 || to < 0 || (await plans.DiffAsync(id, from, to, ct)).Value is not { } diff)
        {
            return NotFound();
        }

        (Project, Diff, Latest) = (project, diff, current.Version);
        return Page();
    }
}

using Coditect.Contracts.DevContext;
using Coditect.Server.DevContext.WorkSessions;
using Coditect.Server.Organizations;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.DevContext.Pages;

/// <summary>
/// Confirms deleting a work session, and deletes it with its conversations and messages (and the contents nothing
/// else references), as <c>DELETE .../work-sessions/{id}</c> does: ManageWork, like the API.
/// </summary>
[RequirePermission(Permission.ManageWork)]
public sealed class DeleteWorkSessionModel(WorkSessionAdmin sessions) : ConsolePage
{
    public WorkSessionResponse? Session { get; private set; }

    public override string Title => "Delete a work session";

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        Session = await sessions.GetAsync(id, ct);
        return Session is null ? NotFound() : Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken ct) =>
        await sessions.DeleteAsync(id, ct) is null
            ? RedirectWith(Shell.OrgPath("/work-sessions"), "The work session is deleted, with its conversations and messages.")
            : NotFound();
}

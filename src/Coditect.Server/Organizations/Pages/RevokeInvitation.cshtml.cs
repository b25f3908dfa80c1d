using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Organizations.Pages;

/// <summary>Confirms revoking a pending invitation, and revokes it: its link then says it is no longer valid.</summary>
[RequirePermission(Permission.ManageMembers)]
public sealed class RevokeInvitationModel(Invitations invitations) : ConsolePage
{
    public Invitation? Invitation { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        Invitation = await FindAsync(id, ct);
        return Invitation is null ? NotFound() : Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken ct)
    {
        Invitation = await FindAsync(id, ct);
        if (Invitation is null || await invitations.RevokeAsync(id, ct) is not null)
        {
            return NotFound();
        }

        return RedirectWith(Shell.OrgPath("/members"), $"The invitation for {Invitation.Email} was revoked: its link no longer works.");
    }

    private Task<Invitation?> FindAsync(Guid id, CancellationToken ct) =>
        invitations.PendingList().AsNoTracking().FirstOrDefaultAsync(i => i.Id == id, ct);
}

using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Organizations.Pages;

/// <summary>
/// Confirms removing a member, or leaving (a member's own row), and does it. Anyone may leave; removing someone else
/// takes what the API's removal takes (<see cref="Memberships.RemoveAsync"/>), and the last owner stays, with a message.
/// </summary>
[RequirePermission(Permission.ReadMembers)]
public sealed class RemoveMemberModel(CoditectDbContext db, Memberships memberships) : ConsolePage
{
    public string MemberName { get; private set; } = "";
    public string MemberEmail { get; private set; } = "";
    public Role MemberRole { get; private set; }
    public bool Leaving { get; private set; }
    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid userId, CancellationToken ct) =>
        await LoadAsync(userId, ct) ?? Page();

    public async Task<IActionResult> OnPostAsync(Guid userId, CancellationToken ct)
    {
        if (await LoadAsync(userId, ct) is { } refused)
        {
            return refused;
        }

        if (await memberships.RemoveAsync(userId, ct) is { } refusal)
        {
            if (refusal.Status != StatusCodes.Status409Conflict)
            {
                return StatusCode(refusal.Status);
            }

            Error = refusal.Title;
            var page = Page();
            page.StatusCode = refusal.Status;
            return page;
        }

        if (!Leaving)
        {
            return RedirectWith(Shell.OrgPath("/members"), $"{MemberName} was removed from {Shell.Organization!.Name}.");
        }

        var left = Shell.Organization!;
        var next = await AuthEndpoints.MembershipsOf(db, userId).Where(m => m.Organization.Id != left.Id)
            .Select(m => m.Organization.Slug).FirstOrDefaultAsync(ct);
        return RedirectWith(next is null ? "/orgs/new" : $"/orgs/{next}", $"You left {left.Name}.");
    }

    /// <summary>Reads the member; the not-found page when there is none, the not-allowed page when the caller may not remove them.</summary>
    private async Task<IActionResult?> LoadAsync(Guid userId, CancellationToken ct)
    {
        var member = await db.Set<Membership>().Where(m => m.UserId == userId)
            .Join(db.Set<User>(), m => m.UserId, u => u.Id, (m, u) => new { u.Name, u.Email, m.Role })
            .FirstOrDefaultAsync(ct);
        if (member is null)
        {
            return NotFound();
        }

        (MemberName, MemberEmail, MemberRole) = (member.Name, member.Email, member.Role);
        Leaving = userId == Shell.UserId;
        return Leaving || (Shell.Can(Permission.ManageMembers) && memberships.CanManage(member.Role))
            ? null
            : StatusCode(StatusCodes.Status403Forbidden);
    }
}

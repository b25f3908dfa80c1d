using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Organizations.Pages;

/// <summary>
/// The organization's members, oldest first, with their roles; for those who may manage members, a role change per
/// row, removal (through its confirmation page), the pending invitations and the invite form. A new invitation's link
/// (<c>App:PublicUrl</c>) is shown once, to copy and pass on until e-mail exists.
/// </summary>
[RequirePermission(Permission.ReadMembers)]
public sealed class MembersModel(
    CoditectDbContext db, Memberships memberships, Invitations invitations, IOptions<AppOptions> app, IOptions<IdentityOptions> identity) : ConsolePage
{
    public sealed record Row(Guid UserId, string Name, string Email, Role Role, DateTime Since);

    public IReadOnlyList<Row> Members { get; private set; } = [];
    public int? PreviousPage { get; private set; }
    public int? NextPage { get; private set; }
    public IReadOnlyList<Invitation> Pending { get; private set; } = [];
    public IReadOnlyList<Role> Assignable { get; private set; } = [];

    /// <summary>Why the last action was refused (the last-owner rule, say), shown above the table.</summary>
    public string? Error { get; private set; }

    public int InvitationDays => identity.Value.InvitationLifetimeDays;

    public string? InviteEmail { get; private set; }
    public string InviteRole { get; private set; } = "member";

    /// <summary>Whether the caller may change or remove a member with <paramref name="role"/>.</summary>
    public bool CanManage(Role role) => Shell.Can(Permission.ManageMembers) && memberships.CanManage(role);

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    [RequirePermission(Permission.ManageMembers)]
    public async Task<IActionResult> OnPostInviteAsync([FromForm(Name = "email")] string? email, [FromForm(Name = "role")] string? role, CancellationToken ct)
    {
        var created = await invitations.CreateAsync(email, role, ct);
        if (created.Value is not { } invitation)
        {
            InviteEmail = email;
            InviteRole = role ?? InviteRole;
            return await RefusedAsync(created.Refusal!, ct);
        }

        Secret = app.Value.Link(Invitations.LinkPath(invitation.Token!));
        return RedirectWith(Shell.OrgPath("/members"), $"{invitation.Email} is invited as {invitation.Role}. Copy the link below and send it to them: it is shown only now.");
    }

    [RequirePermission(Permission.ManageMembers)]
    public async Task<IActionResult> OnPostRoleAsync([FromForm(Name = "user_id")] Guid userId, [FromForm(Name = "role")] string? role, CancellationToken ct)
    {
        var changed = await memberships.ChangeRoleAsync(userId, role, ct);
        if (changed.Value is not { } member)
        {
            return await RefusedAsync(changed.Refusal!, ct);
        }

        return RedirectWith(Shell.OrgPath("/members"), $"{member.Name} is now {member.Role}.");
    }

    /// <summary>The page again with the refusal: field errors beside the invite form, a rule as a message; a role the caller lacks is the 403 page.</summary>
    private async Task<IActionResult> RefusedAsync(Refusal refusal, CancellationToken ct)
    {
        if (refusal.Status == StatusCodes.Status403Forbidden)
        {
            return StatusCode(StatusCodes.Status403Forbidden);
        }

        if (refusal.Errors is { } errors)
        {
            ShowErrors(errors);
        }
        else if (refusal.Code == Contracts.Common.ProblemCodes.AlreadyMember)
        {
            ShowErrors(new Validator().Add("email", refusal.Title));
        }
        else
        {
            Error = refusal.Title;
        }

        await LoadAsync(ct);
        var page = Page();
        page.StatusCode = refusal.Status;
        return page;
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var errors = new Validator();
        var paging = Paging.Parse(Request, errors);
        var rows = db.Set<Membership>()
            .Join(db.Set<User>(), m => m.UserId, u => u.Id, (m, u) => new { Membership = m, User = u })
            .OrderBy(x => x.Membership.CreatedAt).ThenBy(x => x.Membership.Id);
        var list = await paging.ToListAsync(rows, x => new Row(x.User.Id, x.User.Name, x.User.Email, x.Membership.Role, x.Membership.CreatedAt), ct);
        Members = list.Items;
        PreviousPage = list.Page > 1 ? list.Page - 1 : null;
        NextPage = list.NextPage;
        if (Shell.Can(Permission.ManageMembers))
        {
            Pending = await invitations.PendingList().AsNoTracking().Take(Paging.MaxPageSize).ToListAsync(ct);
            Assignable = memberships.AssignableRoles();
        }
    }
}

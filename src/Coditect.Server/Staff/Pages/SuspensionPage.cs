using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Staff.Pages;

/// <summary>
/// The confirmation pages for suspending and unsuspending an organization: the GET explains and offers the POST, which
/// changes it through <see cref="OrganizationSuspension"/> (audited there, with the staff user as actor) and is
/// committed by the page's transaction. Asking for what is already the case goes back to the organization.
/// </summary>
public abstract class SuspensionPage(CoditectDbContext db, OrganizationSuspension suspension, bool suspend) : ConsolePage
{
    public Organization Organization { get; private set; } = null!;

    public string OrganizationPath => $"/staff/orgs/{Organization.Id}";

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        // organizations is not a tenant table: its name and state need no organization entered.
        var organization = await db.Set<Organization>().AsNoTracking().FirstOrDefaultAsync(o => o.Id == id, ct);
        if (organization is null)
        {
            return NotFound();
        }

        if ((organization.SuspendedAt is not null) == suspend)
        {
            return RedirectWith($"/staff/orgs/{id}", suspend ? $"{organization.Name} is suspended already." : $"{organization.Name} is not suspended.");
        }

        Organization = organization;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken ct)
    {
        var staff = Shell.UserId ?? throw new InvalidOperationException("The staff policy admitted no signed-in user.");
        var organization = suspend
            ? await suspension.SuspendAsync(id, staff, ct)
            : await suspension.UnsuspendAsync(id, staff, ct);
        if (organization is null)
        {
            return NotFound();
        }

        return RedirectWith($"/staff/orgs/{id}", suspend
            ? $"{organization.Name} is suspended: its licences refuse new seats and its members can only read its overview."
            : $"{organization.Name} is no longer suspended.");
    }
}

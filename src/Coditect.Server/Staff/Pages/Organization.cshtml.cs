using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Licensing;
using Coditect.Server.Licensing.Admin;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Staff.Pages;

/// <summary>
/// One organization for staff, read-only: its facts, members and licences, with links to suspend or unsuspend it (each
/// through its confirmation page) and to export its licences. Opening it records <c>staff.organization_viewed</c> in
/// the organization's audit log, then reads in a read-only transaction scoped to it (<see cref="StaffAudit"/>).
/// </summary>
[Authorize(Policy = StaffRequirement.Policy)]
public sealed class StaffOrganizationModel(CoditectDbContext db, TenantScope scope, LicenseAdmin licenses, TimeProvider clock) : ConsolePage
{
    /// <summary>The members and licences shown at most; the licences CSV has them all.</summary>
    public const int ListLimit = 100;

    public sealed record MemberRow(string Name, string Email, Role Role, DateTime Since);

    public Organization Organization { get; private set; } = null!;
    public int MemberCount { get; private set; }
    public IReadOnlyList<MemberRow> Members { get; private set; } = [];
    public PagedList<LicenseResponse> Licenses { get; private set; } = null!;
    public int SeatsInUse { get; private set; }

    public string Path(string rest = "") => $"/staff/orgs/{Organization.Id}{rest}";

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var organization = await StaffAudit.OpenOrganizationAsync(db, scope, id, StaffAudit.OrganizationViewed, now, async _ =>
        {
            // In the organization's tenant: the query filters (and RLS) show its rows only.
            MemberCount = await db.Set<Membership>().CountAsync(ct);
            var members = await db.Set<Membership>().AsNoTracking()
                .Join(db.Set<User>(), m => m.UserId, u => u.Id, (m, u) => new { u.Name, u.Email, m.Role, m.CreatedAt })
                .OrderBy(x => x.CreatedAt).ThenBy(x => x.Email).Take(ListLimit).ToListAsync(ct);
            Members = [.. members.Select(m => new MemberRow(m.Name, m.Email, m.Role, DateTime.SpecifyKind(m.CreatedAt, DateTimeKind.Utc)))];
            Licenses = await licenses.ListAsync(LicenseAdmin.LicenseFilter.All, new Paging(1, ListLimit), ct);
            SeatsInUse = await db.Set<LicenseSession>().CountAsync(s => s.Status == SessionState.Active && s.ExpiresAt > now, ct);
        }, ct);
        if (organization is null)
        {
            return NotFound();
        }

        Organization = organization;
        return Page();
    }
}

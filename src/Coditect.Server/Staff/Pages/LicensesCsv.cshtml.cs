using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Licensing;
using Coditect.Server.Tenancy;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Staff.Pages;

/// <summary>
/// One organization's licences, all of them, as CSV: <c>id,name,status,seats_used,seats_total,expires_at,created_at</c>
/// (no key: only its hash is stored). Records <c>staff.licenses_exported</c> in the organization's audit log, then
/// reads in a read-only transaction scoped to it, as the staff view of the organization does.
/// </summary>
[Authorize(Policy = StaffRequirement.Policy)]
public sealed class LicensesCsvModel(CoditectDbContext db, TenantScope scope, TimeProvider clock) : ConsolePage
{
    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var csv = new Csv("id", "name", "status", "seats_used", "seats_total", "expires_at", "created_at");
        var organization = await StaffAudit.OpenOrganizationAsync(db, scope, id, StaffAudit.LicensesExported, now, async _ =>
        {
            var licenses = await db.Set<License>().AsNoTracking().OrderByDescending(l => l.CreatedAt).ThenByDescending(l => l.Id)
                .Select(l => new
                {
                    License = l,
                    Used = db.Set<LicenseSession>().Count(s => s.LicenseId == l.Id && s.Status == SessionState.Active && s.ExpiresAt > now),
                })
                .ToListAsync(ct);
            foreach (var (license, used) in licenses.Select(x => (x.License, x.Used)))
            {
                csv.Row(license.Id.ToString(), license.Name, license.StatusAt(now), Csv.Number(used), Csv.Number(license.SeatsTotal),
                    Csv.Time(license.ExpiresAt), Csv.Time(license.CreatedAt));
            }
        }, ct);

        return organization is null ? NotFound() : File(csv.ToBytes(), "text/csv; charset=utf-8", $"{organization.Slug}-licenses.csv");
    }
}

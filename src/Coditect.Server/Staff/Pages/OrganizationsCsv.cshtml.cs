using System.Text.Json.Nodes;
using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Staff.Pages;

/// <summary>
/// Every organization matching <c>search</c> (all pages) as CSV: <c>id,slug,name,members,licenses,seats_in_use,
/// created_at,suspended_at</c>. Recorded first as one platform-level <c>staff.organizations_exported</c> event (the
/// export belongs to no single organization; see <see cref="StaffAudit.PlatformTenant"/>), then read in a read-only
/// transaction through the system path.
/// </summary>
[Authorize(Policy = StaffRequirement.Policy)]
public sealed class OrganizationsCsvModel(CoditectDbContext db, TenantScope scope, TimeProvider clock) : ConsolePage
{
    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var errors = new Validator();
        var search = OrganizationDirectory.ParseSearch(Request.Query, errors);
        if (!errors.IsValid)
        {
            return StatusCode(StatusCodes.Status400BadRequest); // never "everything" for a search that could not be read
        }

        var now = clock.GetUtcNow().UtcDateTime;
        await StaffAudit.RecordPlatformAsync(db, scope, StaffAudit.OrganizationsExported, new JsonObject
        {
            ["search"] = new JsonObject { ["before"] = null, ["after"] = search },
        }, now, ct);
        await scope.CommitAsync(ct);

        await scope.BeginAsync(ct);
        var rows = await db.ReadOnlyAsync(() => OrganizationDirectory.AllAsync(db, search, now, ct), ct);
        var csv = new Csv("id", "slug", "name", "members", "licenses", "seats_in_use", "created_at", "suspended_at");
        foreach (var o in rows)
        {
            csv.Row(o.Id.ToString(), o.Slug, o.Name, Csv.Number(o.Members), Csv.Number(o.Licenses), Csv.Number(o.SeatsInUse),
                Csv.Time(o.CreatedAt), Csv.Time(o.SuspendedAt));
        }

        return File(csv.ToBytes(), "text/csv; charset=utf-8", "organizations.csv");
    }
}

using System.Text.Json.Nodes;
using Coditect.Server.Audit;
using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Staff;

/// <summary>
/// What the staff area writes to the audit trail, with the staff user as actor: opening an organization and exporting
/// its licences go in that organization's trail, exporting the list of organizations in the platform's. Each event is
/// committed before the data it covers is read, so nothing reaches a staff user unrecorded.
/// </summary>
public static class StaffAudit
{
    public const string OrganizationViewed = "staff.organization_viewed";
    public const string LicensesExported = "staff.licenses_exported";
    public const string OrganizationsExported = "staff.organizations_exported";

    /// <summary>
    /// The <c>tenant_id</c> of an event that belongs to no organization. <c>audit_events.tenant_id</c> is not null and
    /// has no foreign key; the nil UUID is never an organization's id (those are version 7), so no organization's audit
    /// log shows these events, and row-level security admits them only through the system path. Operators read them
    /// with SQL (docs/operations.md, "Platform staff").
    /// </summary>
    public static readonly Guid PlatformTenant = Guid.Empty;

    /// <summary>
    /// Opens an organization for a staff view: enters it as the request's tenant (as <see cref="OrganizationSuspension"/>
    /// does: staff need not be members), records <paramref name="action"/> there and commits, then runs
    /// <paramref name="read"/> in a new, read-only transaction of the same tenant. Null when there is no such
    /// organization (nothing is recorded).
    /// </summary>
    public static async Task<Organization?> OpenOrganizationAsync(
        CoditectDbContext db, TenantScope scope, Guid organizationId, string action, DateTime now, Func<Organization, Task> read, CancellationToken ct)
    {
        // organizations is not a tenant table: readable before entering.
        var organization = await db.Set<Organization>().AsNoTracking().FirstOrDefaultAsync(o => o.Id == organizationId, ct);
        if (organization is null)
        {
            return null;
        }

        await scope.WritesAfterAllAsync(ct);
        await scope.EnterAsync(organizationId, ct);
        AuditRecorder.Explicit(db, organizationId, action, "organization", organizationId, new JsonObject(), now);
        await db.SaveChangesAsync(ct);
        await scope.CommitAsync(ct);

        await scope.BeginAsync(ct);
        await db.ReadOnlyAsync(async () =>
        {
            await read(organization);
            return true;
        }, ct);
        return organization;
    }

    /// <summary>
    /// Records a platform-level event (<see cref="PlatformTenant"/>) and saves it. Only in a request that entered no
    /// organization: a request acts for one tenant, and the save guard would stamp the event with it.
    /// </summary>
    public static async Task RecordPlatformAsync(CoditectDbContext db, TenantScope scope, string action, JsonObject changes, DateTime now, CancellationToken ct)
    {
        if (db.Tenant.TenantId is not null)
        {
            throw new InvalidOperationException("A platform event is written only by a request that entered no organization.");
        }

        await scope.WritesAfterAllAsync(ct);
        await scope.BeginAsync(ct);
        // The one write the system path makes for staff: RLS admits tenant_id = nil only with app.system on.
        await db.RunAsSystemAsync(async () =>
        {
            AuditRecorder.Explicit(db, PlatformTenant, action, "platform", PlatformTenant, changes, now);
            return await db.SaveChangesAsync(ct);
        }, ct);
    }
}

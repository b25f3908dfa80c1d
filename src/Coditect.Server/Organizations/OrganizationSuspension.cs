using System.Text.Json.Nodes;
using Coditect.Server.Audit;
using Coditect.Server.Data;
using Coditect.Server.Platform.Outbox;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Organizations;

/// <summary>The events an organization's suspension raises on the outbox; Licensing drops its licence copies on both.</summary>
public static class OrganizationEvents
{
    public const string Suspended = "organization.suspended";
    public const string Unsuspended = "organization.unsuspended";
    public const string MembershipCreated = "membership.created";
    public const string MembershipUpdated = "membership.updated";
    public const string MembershipDeleted = "membership.deleted";
    public const string InvitationCreated = "invitation.created";
    public const string InvitationAccepted = "invitation.accepted";
    public const string ApiKeyCreated = "api_key.created";
    public const string ApiKeyRevoked = "api_key.revoked";
}

/// <summary>
/// An organization event's <c>data</c>: <c>OrganizationResponse</c> without <c>role</c>, which is a caller's and an
/// event has none.
/// </summary>
public sealed record OrganizationEventData(Guid Id, string Slug, string Name, DateTime? SuspendedAt, DateTime CreatedAt, DateTime UpdatedAt)
{
    public static OrganizationEventData Of(Organization o) => new(o.Id, o.Slug, o.Name, o.SuspendedAt, o.CreatedAt, o.UpdatedAt);
}

/// <summary>
/// Platform staff suspend an organization and lift the suspension (<see cref="Organization.SuspendedAt"/>), separately
/// from any licence's own state: its licences then refuse acquire and heartbeat (403 <c>ORGANIZATION_SUSPENDED</c>,
/// on every node within a second through the outbox event) and its members may only read the organization itself
/// (<see cref="PermissionHandler"/>). Staff are usually not members, so the change enters the organization as the
/// request's tenant itself (<see cref="TenantScope"/>) instead of through <see cref="OrgScope"/>: the audit event and
/// the outbox event belong to the organization. Callers authorize with the staff policy and commit the transaction
/// (the API's unit of work, or a page's filter).
/// </summary>
public sealed class OrganizationSuspension(CoditectDbContext db, TenantScope tenantScope, TimeProvider clock)
{
    /// <summary>Suspends the organization; null when there is none. Suspending a suspended organization changes nothing.</summary>
    public Task<Organization?> SuspendAsync(Guid organizationId, Guid staffUserId, CancellationToken ct) =>
        ChangeAsync(organizationId, staffUserId, suspend: true, ct);

    /// <summary>Lifts the suspension; null when there is no such organization. An active organization stays as it is.</summary>
    public Task<Organization?> UnsuspendAsync(Guid organizationId, Guid staffUserId, CancellationToken ct) =>
        ChangeAsync(organizationId, staffUserId, suspend: false, ct);

    private async Task<Organization?> ChangeAsync(Guid organizationId, Guid staffUserId, bool suspend, CancellationToken ct)
    {
        await tenantScope.BeginAsync(ct);
        var organization = await db.Set<Organization>().AsNoTracking().FirstOrDefaultAsync(o => o.Id == organizationId, ct);
        if (organization is null || (organization.SuspendedAt is not null) == suspend)
        {
            return organization;
        }

        await tenantScope.EnterAsync(organizationId, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        DateTime? suspendedAt = suspend ? now : null;
        // A conditional update, not a tracked change: of two staff acting at once only one changes the row (PostgreSQL
        // re-checks the condition after the other's commit), so the state is announced and audited once; and the
        // explicit audit event below is the only one (a tracked change would add an organization.updated as well).
        var row = db.Set<Organization>().Where(o => o.Id == organizationId);
        row = suspend ? row.Where(o => o.SuspendedAt == null) : row.Where(o => o.SuspendedAt != null);
        if (await row.ExecuteUpdateAsync(o => o.SetProperty(x => x.SuspendedAt, suspendedAt).SetProperty(x => x.UpdatedAt, now), ct) == 0)
        {
            return await db.Set<Organization>().AsNoTracking().FirstOrDefaultAsync(o => o.Id == organizationId, ct);
        }

        var before = organization.SuspendedAt;
        organization.SuspendedAt = suspendedAt;
        organization.UpdatedAt = now;
        var type = suspend ? OrganizationEvents.Suspended : OrganizationEvents.Unsuspended;
        AuditRecorder.Explicit(db, organizationId, type, "organization", organizationId, new JsonObject
        {
            ["suspended_at"] = new JsonObject { ["before"] = Utc(before), ["after"] = Utc(suspendedAt) },
        }, now, ("user", staffUserId));
        await db.SaveChangesAsync(ct);
        await db.RaiseAsync(type, OrganizationEventData.Of(organization), ct);
        return organization;
    }

    private static JsonValue? Utc(DateTime? time) => time is { } value ? JsonValue.Create(DateTime.SpecifyKind(value, DateTimeKind.Utc)) : null;
}

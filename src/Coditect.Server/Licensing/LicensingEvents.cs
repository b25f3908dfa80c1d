using Coditect.Server.Data;
using Coditect.Server.Licensing.Admin;
using Coditect.Server.Licensing.Ledger;
using Coditect.Server.Organizations;
using Coditect.Server.Platform.Outbox;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Licensing;

/// <summary>
/// The events Licensing raises on the outbox (<c>data</c> is the API's response shape, never the licence key) and its
/// own subscribers: every node drops its cached copy of a changed licence, and of every licence of an organization
/// suspended or unsuspended, and forgets a kicked session (before the answer leaves the node that made the change,
/// within a second elsewhere); once in the cluster, a deleted licence's shared state (its Redis keys) goes.
/// </summary>
public static class LicensingEvents
{
    public const string Created = "license.created";
    public const string Updated = "license.updated";
    public const string Suspended = "license.suspended";
    public const string Reinstated = "license.reinstated";
    public const string Renewed = "license.renewed";
    public const string Deleted = "license.deleted";

    /// <summary>A licence reached 30, 7 or 1 days before expiry (raised by Notifications/Alerts/ExpiryReminders.cs).</summary>
    public const string Expiring = "license.expiring";

    /// <summary>A licence turned a user away in an hour (raised by Notifications/Alerts/SeatAlerts.cs).</summary>
    public const string SeatsExhausted = "license.seats_exhausted";
    public const string SessionKicked = "session.kicked";

    private static bool ChangesLicense(string type) =>
        type is Updated or Suspended or Reinstated or Renewed or Deleted;

    /// <summary>An organization's suspension is part of every cached copy of its licences.</summary>
    private static bool ChangesOrganization(string type) =>
        type is OrganizationEvents.Suspended or OrganizationEvents.Unsuspended;

    public static IServiceCollection AddLicensingEvents(this IServiceCollection services)
    {
        services.AddOutboxSubscription("licensing.node-cache", Delivery.EveryNode,
            type => ChangesLicense(type) || type == SessionKicked || ChangesOrganization(type),
            async (message, scope, ct) =>
            {
                var ledger = scope.GetRequiredService<ISeatLedger>();
                if (message.Type == SessionKicked)
                {
                    var licenseId = message.Data.GetProperty("license_id").GetGuid();
                    await ledger.ForgetAsync(licenseId, [message.ObjectId], ct);
                }
                else if (ChangesOrganization(message.Type))
                {
                    await ledger.OrganizationChangedAsync(message.TenantId);
                }
                else
                {
                    await ledger.LicenseChangedAsync(message.ObjectId);
                }
            });
        services.AddOutboxSubscription("licensing.shared-state", Delivery.OncePerCluster,
            type => type == Deleted,
            (message, scope, _) => scope.GetRequiredService<ISeatLedger>().LicenseDeletedAsync(message.ObjectId));
        services.AddScoped<IOrganizationDeletion, LicensesOfDeletedOrganization>();
        return services;
    }

    /// <summary>An organization's licences go with it (ON DELETE CASCADE): each raises <c>license.deleted</c> first.</summary>
    private sealed class LicensesOfDeletedOrganization(TimeProvider clock) : IOrganizationDeletion
    {
        public async Task DeletingAsync(CoditectDbContext db, Organization organization, CancellationToken ct)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            var licenses = await db.Set<License>().AsNoTracking().OrderBy(l => l.CreatedAt).ToListAsync(ct);
            var live = await db.Set<LicenseSession>()
                .Where(s => s.Status == SessionState.Active && s.ExpiresAt > now)
                .GroupBy(s => s.LicenseId).Select(g => new { LicenseId = g.Key, Count = g.Count() })
                .ToDictionaryAsync(g => g.LicenseId, g => g.Count, ct);
            foreach (var license in licenses)
            {
                await db.RaiseAsync(Deleted, license.ToResponse(live.GetValueOrDefault(license.Id), now), ct);
            }
        }
    }
}

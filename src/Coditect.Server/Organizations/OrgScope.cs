using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Organizations;

/// <summary>
/// The organization a request (or job) acts in and the caller's role there (scoped). Entered once per scope, from
/// <c>{org}</c> (a slug or an id) by <see cref="PermissionHandler"/> before any organization-scoped endpoint or page
/// runs; entering makes the organization the tenant through <see cref="TenantScope"/>. An organization the caller
/// does not belong to is not found, as if it did not exist.
/// </summary>
public sealed class OrgScope(CoditectDbContext db, TenantContext tenant, TenantScope tenantScope)
{
    private Organization? _organization;

    public bool IsEntered => _organization is not null;

    public Organization Organization => _organization ?? throw new InvalidOperationException("No organization in scope.");

    public Role Role { get; private set; }

    /// <summary>
    /// Finds <paramref name="key"/> among the caller's organizations and enters it. False when the caller has no
    /// such organization (no membership, or an API key of another organization).
    /// </summary>
    public async Task<bool> EnterAsync(string key, Role? apiKeyRole, CancellationToken ct)
    {
        if (_organization is not null)
        {
            return string.Equals(key, _organization.Slug, StringComparison.OrdinalIgnoreCase)
                || (Guid.TryParse(key, out var id) && id == _organization.Id);
        }

        // A user's own memberships are readable before the tenant is known (RLS policy memberships_self), inside the
        // transaction that carries app.user_id.
        await tenantScope.BeginAsync(ct);
        var found = await FindAsync(key, apiKeyRole, ct);
        if (found is not var (organization, role))
        {
            return false;
        }

        await tenantScope.EnterAsync(organization.Id, ct);
        _organization = organization;
        Role = role;
        return true;
    }

    private async Task<(Organization, Role)?> FindAsync(string key, Role? apiKeyRole, CancellationToken ct)
    {
        var byId = Guid.TryParse(key, out var id);
        var slug = key.ToLowerInvariant();
        var organizations = byId
            ? db.Set<Organization>().Where(o => o.Id == id)
            : db.Set<Organization>().Where(o => o.Slug == slug);

        if (tenant.ApiKeyId is not null)
        {
            var organization = await organizations.FirstOrDefaultAsync(o => o.Id == tenant.TenantId, ct);
            return organization is null || apiKeyRole is not { } role ? null : (organization, role);
        }

        if (tenant.UserId is not { } userId)
        {
            return null;
        }

        var membership = await organizations
            .Join(db.Set<Membership>().IgnoreQueryFilters().Where(m => m.UserId == userId),
                o => o.Id, m => m.TenantId, (o, m) => new { Organization = o, m.Role })
            .FirstOrDefaultAsync(ct);
        return membership is null ? null : (membership.Organization, membership.Role);
    }
}

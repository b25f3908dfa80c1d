using Coditect.Contracts.Common;
using Coditect.Server.Data;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Organizations;

/// <summary>
/// The organization named by <c>{org}</c> (slug or id) and the caller's role in it, set by <see cref="OrgScopeFilter"/>
/// before a tenant-scoped handler runs. An organization the caller does not belong to answers 404, as if it did not exist.
/// </summary>
public sealed class OrgScope
{
    private Organization? _organization;

    public Organization Organization => _organization ?? throw new InvalidOperationException("No organization in scope.");
    public Role Role { get; private set; }

    internal void Set(Organization organization, Role role)
    {
        _organization = organization;
        Role = role;
    }
}

/// <summary>Endpoint metadata: the permission a tenant-scoped endpoint requires.</summary>
public sealed record RequiresPermission(Permission Permission);

public static class OrgScopeFilter
{
    public static RouteHandlerBuilder Requires(this RouteHandlerBuilder builder, Permission permission) =>
        builder.WithMetadata(new RequiresPermission(permission));

    /// <summary>Resolves <c>{org}</c>, sets the tenant for the rest of the request and checks the endpoint's permission.</summary>
    public static RouteGroupBuilder WithOrgScope(this RouteGroupBuilder group) =>
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var services = http.RequestServices;
            var db = services.GetRequiredService<CoditectDbContext>();
            var tenant = services.GetRequiredService<TenantContext>();
            var key = http.Request.RouteValues["org"] as string ?? "";

            var found = await FindAsync(db, tenant, key, http);
            if (found is not var (organization, role))
            {
                return Problems.NotFound(ProblemCodes.OrgNotFound, "The organization");
            }

            tenant.SetTenant(organization.Id);
            await db.ApplyTenantAsync(http.RequestAborted);
            services.GetRequiredService<OrgScope>().Set(organization, role);

            var required = http.GetEndpoint()?.Metadata.GetMetadata<RequiresPermission>();
            if (required is not null && !role.Can(required.Permission))
            {
                return Problems.Forbidden();
            }

            return await next(context);
        });

    private static async Task<(Organization, Role)?> FindAsync(CoditectDbContext db, TenantContext tenant, string key, HttpContext http)
    {
        var byId = Guid.TryParse(key, out var id);
        var slug = key.ToLowerInvariant();
        var organizations = byId
            ? db.Set<Organization>().Where(o => o.Id == id)
            : db.Set<Organization>().Where(o => o.Slug == slug);

        if (tenant.ApiKeyId is not null)
        {
            var organization = await organizations.FirstOrDefaultAsync(o => o.Id == tenant.TenantId, http.RequestAborted);
            var role = Enum.Parse<Role>(http.User.FindFirst(Identity.BearerAuthentication.RoleClaim)!.Value, ignoreCase: true);
            return organization is null ? null : (organization, role);
        }

        // A user's own memberships are visible before the tenant is known (RLS policy memberships_self).
        var membership = await organizations
            .Join(db.Set<Membership>().IgnoreQueryFilters().Where(m => m.UserId == tenant.UserId),
                o => o.Id, m => m.TenantId, (o, m) => new { Organization = o, m.Role })
            .FirstOrDefaultAsync(http.RequestAborted);
        return membership is null ? null : (membership.Organization, membership.Role);
    }
}

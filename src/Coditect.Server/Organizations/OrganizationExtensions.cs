using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Coditect.Server.Organizations;

public static class OrganizationExtensions
{
    /// <summary>Organizations, their scope in a request, and the permission policies every organization-scoped endpoint declares.</summary>
    public static WebApplicationBuilder AddOrganizations(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<OrgScope>();
        builder.Services.AddScoped<OrganizationSuspension>();
        builder.Services.AddScoped<Memberships>();
        builder.Services.AddScoped<Invitations>();
        builder.Services.AddScoped<ApiKeys>();
        builder.Services.AddScoped<IAuthorizationHandler, PermissionHandler>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, OrganizationAuthorizationResults>();
        builder.Services.AddAuthorization(options => options.AddPermissionPolicies());
        return builder;
    }
}

using Coditect.Contracts.Common;
using Coditect.Server.Identity;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Coditect.Server.Organizations;

/// <summary>An authorization requirement: the caller's role in the organization of <c>{org}</c> grants the permission.</summary>
public sealed record PermissionRequirement(Permission Permission) : IAuthorizationRequirement;

/// <summary>
/// Permissions as ASP.NET Core authorization policies: one policy per <see cref="Permission"/> (named by
/// <see cref="PolicyOf"/>), so endpoints say <c>.RequirePermission(...)</c> and pages <c>[Authorize(Policy = ...)]</c>.
/// Role names are never policies: the grant table in <see cref="Roles"/> is the one source.
/// </summary>
public static class Permissions
{
    public const string PolicyPrefix = "permission:";

    public static string PolicyOf(Permission permission) => PolicyPrefix + permission;

    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, Permission permission)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(PolicyOf(permission));

    internal static void AddPermissionPolicies(this AuthorizationOptions options)
    {
        foreach (var permission in Enum.GetValues<Permission>())
        {
            options.AddPolicy(PolicyOf(permission), policy => policy
                .AddAuthenticationSchemes(BearerAuthentication.SchemeName)
                .RequireAuthenticatedUser()
                .AddRequirements(new PermissionRequirement(permission)));
        }
    }

    /// <summary>True when the endpoint declares at least one permission policy (the deny-by-default check reads it).</summary>
    public static bool DeclaresPermission(Endpoint endpoint) =>
        endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy?.StartsWith(PolicyPrefix, StringComparison.Ordinal) == true);
}

/// <summary>
/// Decides a <see cref="PermissionRequirement"/>: enters the organization named by <c>{org}</c> (in the request's
/// transaction, through <see cref="OrgScope"/>) and checks the caller's role there. An organization the caller
/// cannot see fails with <see cref="OrganizationNotFound"/>, which answers 404 rather than 403.
/// </summary>
public sealed class PermissionHandler(OrgScope scope) : AuthorizationHandler<PermissionRequirement>
{
    public const string OrganizationNotFound = "organization_not_found";

    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, PermissionRequirement requirement)
    {
        if (context.Resource is not HttpContext http || context.User.Identity?.IsAuthenticated != true)
        {
            return; // an anonymous caller is challenged (401) by the authenticated-user requirement
        }

        var key = http.GetRouteValue("org") as string;
        if (key is null || !await scope.EnterAsync(key, ApiKeyAuthority.RoleOf(context.User), http.RequestAborted))
        {
            context.Fail(new AuthorizationFailureReason(this, OrganizationNotFound));
            return;
        }

        if (scope.Role.Can(requirement.Permission))
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, $"role {scope.Role.ToWire()} lacks {requirement.Permission}"));
        }
    }
}

/// <summary>Answers a failed organization lookup 404 <c>ORG_NOT_FOUND</c>, as if the organization did not exist; the rest as usual.</summary>
public sealed class OrganizationAuthorizationResults : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden
            && authorizeResult.AuthorizationFailure?.FailureReasons.Any(r => r.Message == PermissionHandler.OrganizationNotFound) == true)
        {
            return Problems.NotFound(ProblemCodes.OrgNotFound, "The organization").ExecuteAsync(context);
        }

        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}

/// <summary>The <c>/api/v1/orgs/{org}</c> group that every organization-scoped endpoint of every feature shares.</summary>
public static class OrgScopeGroup
{
    /// <summary>
    /// Maps the group. Deny by default: an endpoint in it that declares no permission policy answers 403 (and logs
    /// why) instead of running for every member; a test enumerates the endpoints so none ships that way.
    /// </summary>
    public static RouteGroupBuilder MapOrgScope(this RouteGroupBuilder api)
    {
        var org = api.MapGroup("/orgs/{org}");
        org.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (!http.RequestServices.GetRequiredService<OrgScope>().IsEntered)
            {
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OrgScopeGroup))
                    .LogError("{Endpoint} is organization-scoped but declares no permission: denied", http.GetEndpoint()?.DisplayName);
                return Problems.Forbidden();
            }

            return await next(context);
        });
        return org;
    }
}

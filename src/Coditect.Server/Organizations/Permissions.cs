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
                .AddAuthenticationSchemes(CallerScheme.SchemeName)
                .RequireAuthenticatedUser()
                .AddRequirements(new PermissionRequirement(permission)));
        }
    }

    /// <summary>True when the endpoint declares at least one permission policy (the deny-by-default check reads it).</summary>
    public static bool DeclaresPermission(Endpoint endpoint) =>
        endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy?.StartsWith(PolicyPrefix, StringComparison.Ordinal) == true);
}

/// <summary>
/// A console page's permission: <c>[RequirePermission(Permission.ReadLicenses)]</c> names the same policy as the API's
/// endpoints. On a page model the authorization middleware checks it; on a handler method (a post that changes what
/// every member may read) <c>ConsolePageFilter</c> does, since Razor Pages apply authorization per page only. It is
/// <see cref="IAuthorizeData"/> rather than an <see cref="AuthorizeAttribute"/> so that a handler may carry it.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true)]
public sealed class RequirePermissionAttribute(Permission permission) : Attribute, IAuthorizeData
{
    public Permission Permission { get; } = permission;

    public string? Policy { get; set; } = Permissions.PolicyOf(permission);

    public string? Roles { get; set; }

    public string? AuthenticationSchemes { get; set; }
}

/// <summary>
/// An organization-scoped endpoint or page that members may still use while staff have suspended the organization
/// (<c>GET /orgs/{org}</c>, and billing): <c>.AllowWhenSuspended()</c> or <c>[AllowWhenSuspended]</c>. Everything
/// else in a suspended organization answers 403 <c>ORGANIZATION_SUSPENDED</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class AllowWhenSuspendedAttribute : Attribute
{
}

/// <summary>Declares <see cref="AllowWhenSuspendedAttribute"/> on a minimal API endpoint, and reads it off any endpoint.</summary>
public static class SuspendedOrganizations
{
    public static TBuilder AllowWhenSuspended<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AllowWhenSuspendedAttribute());

    public static bool AllowsWhenSuspended(Endpoint? endpoint) => endpoint?.Metadata.GetMetadata<AllowWhenSuspendedAttribute>() is not null;
}

/// <summary>
/// Decides a <see cref="PermissionRequirement"/>: enters the organization named by <c>{org}</c> (in the request's
/// transaction, through <see cref="OrgScope"/>) and checks the caller's role there. An organization the caller
/// cannot see fails with <see cref="OrganizationNotFound"/>, which answers 404 rather than 403; a suspended one fails
/// with <see cref="OrganizationSuspended"/> (403 <c>ORGANIZATION_SUSPENDED</c>) unless the endpoint allows it, whatever
/// the role, so members learn why rather than that their role falls short.
/// </summary>
public sealed class PermissionHandler(OrgScope scope) : AuthorizationHandler<PermissionRequirement>
{
    public const string OrganizationNotFound = "organization_not_found";
    public const string OrganizationSuspended = "organization_suspended";

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

        if (scope.Organization.SuspendedAt is not null && !SuspendedOrganizations.AllowsWhenSuspended(http.GetEndpoint()))
        {
            context.Fail(new AuthorizationFailureReason(this, OrganizationSuspended));
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

/// <summary>
/// Answers a failed organization lookup 404 <c>ORG_NOT_FOUND</c>, as if the organization did not exist; a suspended
/// organization 403 <c>ORGANIZATION_SUSPENDED</c> (a bare 403 on a console page, whose status page says it); the rest as
/// usual.
/// </summary>
public sealed class OrganizationAuthorizationResults : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && FailedFor(authorizeResult, PermissionHandler.OrganizationNotFound))
        {
            if (!CallerScheme.IsApi(context.Request))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound; // the console's not-found page, as for any 404
                return Task.CompletedTask;
            }

            return Problems.NotFound(ProblemCodes.OrgNotFound, "The organization").ExecuteAsync(context);
        }

        if (authorizeResult.Forbidden && FailedFor(authorizeResult, PermissionHandler.OrganizationSuspended))
        {
            if (!CallerScheme.IsApi(context.Request))
            {
                context.Items[WebConsole.Pages.ErrorModel.ReasonItem] =
                    "This organization is suspended by the platform's staff. Its overview stays readable; contact support to lift it.";
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            }

            return Problems.Of(StatusCodes.Status403Forbidden, ProblemCodes.OrganizationSuspended, "This organization is suspended.",
                "Platform staff suspended this organization; only the organization itself can be read until they lift it.").ExecuteAsync(context);
        }

        return _default.HandleAsync(next, context, policy, authorizeResult);
    }

    private static bool FailedFor(PolicyAuthorizationResult result, string reason) =>
        result.AuthorizationFailure?.FailureReasons.Any(r => r.Message == reason) == true;
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

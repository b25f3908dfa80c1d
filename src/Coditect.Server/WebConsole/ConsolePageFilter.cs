using Coditect.Server.Organizations;
using Coditect.Server.Tenancy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Coditect.Server.WebConsole;

/// <summary>
/// Request policy for pages, inside <see cref="TenantScopePageFilter"/>'s transaction. Deny by default: a page under
/// <c>/orgs/{org}</c> whose permission check did not enter the organization (it declares no
/// <see cref="RequirePermissionAttribute"/>) is refused, as the API's group refuses such an endpoint. After the
/// handler, the frame's data (<see cref="ConsoleShell"/>) is loaded in the same transaction.
/// </summary>
public sealed class ConsolePageFilter(OrgScope scope, ConsoleShell shell, ILogger<ConsolePageFilter> logger) : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        if (context.RouteData.Values.ContainsKey("org") && !scope.IsEntered)
        {
            logger.LogError("{Page} is organization-scoped but declares no permission: denied", context.ActionDescriptor.DisplayName);
            context.Result = new StatusCodeResult(StatusCodes.Status403Forbidden);
            return;
        }

        // Razor Pages apply authorization attributes of the page model only; a handler's own permission (the POST that
        // changes something on a page every member may read) is checked here, so a forged post is refused.
        var handlerPermissions = context.HandlerMethod?.MethodInfo.GetCustomAttributes(typeof(RequirePermissionAttribute), inherit: true)
            .Cast<RequirePermissionAttribute>() ?? [];
        if (handlerPermissions.Any(p => !scope.IsEntered || !scope.Role.Can(p.Permission)))
        {
            context.Result = new StatusCodeResult(StatusCodes.Status403Forbidden);
            return;
        }

        var executed = await next();
        if (executed.Result is PageResult or null && executed.Exception is null)
        {
            await shell.LoadAsync(context.HttpContext.RequestAborted);
        }
    }
}

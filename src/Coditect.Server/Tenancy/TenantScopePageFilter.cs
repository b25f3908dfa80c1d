using Microsoft.AspNetCore.Mvc.Filters;

namespace Coditect.Server.Tenancy;

/// <summary>
/// The unit of work for server-rendered pages (Contoso University's <c>DbContextTransactionPageFilter</c>): the same
/// <see cref="TenantScope"/> as the API's endpoint filter, so a page reads under the same tenant settings and
/// row-level security as the API. Committed before the page renders; rolled back when the handler throws.
/// </summary>
public sealed class TenantScopePageFilter(TenantScope scope) : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var ct = context.HttpContext.RequestAborted;
        await scope.BeginAsync(ct);
        var executed = await next();
        if (executed.Exception is null || executed.ExceptionHandled)
        {
            await scope.CommitAsync(ct);
        }
    }
}

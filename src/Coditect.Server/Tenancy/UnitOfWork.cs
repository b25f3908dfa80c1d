using Coditect.Server.Data;

namespace Coditect.Server.Tenancy;

/// <summary>
/// One transaction per API request: begun before the handler with the tenant settings applied, committed when the
/// handler returns, rolled back if it throws. Handlers decide before they save; an error answer after a save (such
/// as revoking a reused refresh token family) is committed on purpose.
/// </summary>
public static class UnitOfWork
{
    public static TBuilder WithUnitOfWork<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var db = context.HttpContext.RequestServices.GetRequiredService<CoditectDbContext>();
            var ct = context.HttpContext.RequestAborted;
            await using var transaction = await db.BeginTenantTransactionAsync(ct);
            var result = await next(context);
            await transaction.CommitAsync(ct);
            return result;
        });
}

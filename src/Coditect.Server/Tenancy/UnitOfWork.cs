namespace Coditect.Server.Tenancy;

/// <summary>
/// One transaction per API request, through <see cref="TenantScope"/>: begun before the handler (or earlier, by the
/// authorization handler that resolved <c>{org}</c>), committed when the handler returns and before the answer is
/// written, rolled back if it throws. Handlers decide before they save; an error answer after a save (such as
/// revoking a reused refresh token family) is committed on purpose.
/// </summary>
public static class UnitOfWork
{
    public static TBuilder WithUnitOfWork<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var scope = context.HttpContext.RequestServices.GetRequiredService<TenantScope>();
            var ct = context.HttpContext.RequestAborted;
            await scope.BeginAsync(ct);
            var result = await next(context);
            await scope.CommitAsync(ct);
            return result;
        });
}

namespace Coditect.Server.Tenancy;

public static class TenancyExtensions
{
    /// <summary>Who acts for which tenant (per request or job scope), and the transaction that carries it.</summary>
    public static WebApplicationBuilder AddTenancy(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<TenantContext>();
        builder.Services.AddScoped<TenantScope>();
        builder.Services.AddScoped<TenantScopePageFilter>();
        return builder;
    }
}

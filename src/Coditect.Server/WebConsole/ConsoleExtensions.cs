using Coditect.Server.Tenancy;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.WebConsole;

/// <summary>
/// The web console: Razor Pages served by the same host as the API, each feature's pages in its own folder
/// (<c>Licensing/Pages</c>, <c>Organizations/Pages</c>, ...) with absolute routes that mirror the API's paths. Pages go
/// through the API's request policy: the same authorization policies (<c>[RequirePermission]</c>), the same tenant
/// transaction (<see cref="TenantScopePageFilter"/>) and deny by default for <c>/orgs/{org}</c>
/// (<see cref="ConsolePageFilter"/>). Antiforgery guards every form; htmx sends the token as a header.
/// </summary>
public static class ConsoleExtensions
{
    public const string AntiforgeryHeader = "X-CSRF-Token";

    public static WebApplicationBuilder AddConsole(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<ConsoleShell>();
        builder.Services.AddScoped<ConsolePageFilter>();
        builder.Services.AddRazorPages(pages =>
        {
            pages.RootDirectory = "/";
            // Outer first: the transaction, then the organization check and the frame's data inside it.
            pages.Conventions.ConfigureFilter(new ServiceFilterAttribute(typeof(TenantScopePageFilter)) { Order = 0 });
            pages.Conventions.ConfigureFilter(new ServiceFilterAttribute(typeof(ConsolePageFilter)) { Order = 1 });
        });
        builder.Services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "coditect_af";
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = Microsoft.AspNetCore.Http.CookieSecurePolicy.SameAsRequest;
            antiforgery.HeaderName = AntiforgeryHeader;
            antiforgery.FormFieldName = "__csrf";
        });
        return builder;
    }

    public static WebApplication MapConsole(this WebApplication app)
    {
        app.MapRazorPages();
        return app;
    }

    /// <summary>The token a page puts in its <c>&lt;meta&gt;</c> for htmx requests.</summary>
    public static string RequestToken(HttpContext http) =>
        http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http).RequestToken ?? "";
}

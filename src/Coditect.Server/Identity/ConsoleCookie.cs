using System.Security.Claims;
using Coditect.Server.Data;
using Coditect.Server.Tenancy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Identity;

/// <summary>
/// The console's session: an HttpOnly, SameSite=Lax cookie (Secure under HTTPS) protected by Data Protection, sliding.
/// It carries the user id and the <see cref="User.SecurityStamp"/> it signed in with; every console request checks the
/// stamp, so a password change or reset ends every other console session at its next request.
/// </summary>
public static class ConsoleCookie
{
    public const string SchemeName = "Console";
    public const string CookieName = "coditect_session";
    public const string StampClaim = "stamp";
    public const string SignInPath = "/signin";

    /// <summary>The principal a console session carries.</summary>
    public static ClaimsPrincipal Principal(User user) => new(new ClaimsIdentity(
    [
        new Claim(ClaimTypes.NameIdentifier, user.Id.ToString()),
        new Claim(ClaimTypes.Name, user.Name),
        new Claim(ClaimTypes.Email, user.Email),
        new Claim(StampClaim, user.SecurityStamp),
    ], SchemeName));

    /// <summary>Starts a console session for <paramref name="user"/> (after a sign-in, a sign-up or a password change).</summary>
    public static Task SignInAsync(HttpContext http, User user) =>
        http.SignInAsync(SchemeName, Principal(user), new AuthenticationProperties { IsPersistent = false });

    public static Task SignOutAsync(HttpContext http) => http.SignOutAsync(SchemeName);

    internal static AuthenticationBuilder AddConsoleCookie(this AuthenticationBuilder authentication)
    {
        authentication.Services.AddOptions<CookieAuthenticationOptions>(SchemeName).Configure<IOptions<IdentityOptions>>((cookie, identity) =>
        {
            cookie.Cookie.Name = CookieName;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.ExpireTimeSpan = TimeSpan.FromMinutes(identity.Value.ConsoleSessionMinutes);
            cookie.SlidingExpiration = true;
            cookie.LoginPath = SignInPath;
            cookie.LogoutPath = "/signout";
            cookie.AccessDeniedPath = "/forbidden";
            cookie.ReturnUrlParameter = "return";
            cookie.Events.OnValidatePrincipal = ValidateAsync;
            cookie.Events.OnRedirectToLogin = context => Redirect(context, context.RedirectUri);
            cookie.Events.OnRedirectToAccessDenied = context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden; // the status page renders "forbidden"
                return Task.CompletedTask;
            };
        });
        return authentication.AddCookie(SchemeName);
    }

    /// <summary>
    /// A relative redirect (an absolute address would come from the Host header, which the caller controls); an htmx
    /// request gets <c>HX-Redirect</c> (htmx then loads the page), a plain request the usual 302.
    /// </summary>
    private static Task Redirect(RedirectContext<CookieAuthenticationOptions> context, string uri)
    {
        if (Uri.TryCreate(uri, UriKind.Absolute, out var absolute))
        {
            uri = absolute.PathAndQuery;
        }

        if (context.Request.Headers.ContainsKey("HX-Request"))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers["HX-Redirect"] = uri;
        }
        else
        {
            context.Response.Redirect(uri);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Every console request: the user must still exist with the stamp the cookie carries; the caller then lands in
    /// the request's <see cref="TenantContext"/> as the API's bearer scheme does.
    /// </summary>
    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal;
        var stamp = principal?.FindFirstValue(StampClaim);
        if (!Guid.TryParse(principal?.FindFirstValue(ClaimTypes.NameIdentifier), out var userId) || stamp is null)
        {
            await RejectAsync(context);
            return;
        }

        var db = context.HttpContext.RequestServices.GetRequiredService<CoditectDbContext>();
        var current = await db.Set<User>().AsNoTracking().Where(u => u.Id == userId).Select(u => u.SecurityStamp)
            .FirstOrDefaultAsync(context.HttpContext.RequestAborted);
        if (current is null || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.ASCII.GetBytes(current), System.Text.Encoding.ASCII.GetBytes(stamp)))
        {
            await RejectAsync(context);
            return;
        }

        context.HttpContext.RequestServices.GetRequiredService<TenantContext>().SetUser(userId);
    }

    private static async Task RejectAsync(CookieValidatePrincipalContext context)
    {
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(SchemeName);
    }
}

/// <summary>
/// The default scheme: a policy scheme that sends <c>/api/*</c> to <see cref="BearerAuthentication"/> (access tokens
/// and API keys, never the cookie) and everything else, the console, to <see cref="ConsoleCookie"/> (never a bearer
/// token). Permission and staff policies name it, so one policy serves an endpoint and a page alike.
/// </summary>
public static class CallerScheme
{
    public const string SchemeName = "Caller";

    public static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/api");

    internal static AuthenticationBuilder AddCallerScheme(this AuthenticationBuilder authentication) =>
        authentication.AddPolicyScheme(SchemeName, "Bearer for /api, the console cookie elsewhere", scheme =>
            scheme.ForwardDefaultSelector = http => IsApi(http.Request) ? BearerAuthentication.SchemeName : ConsoleCookie.SchemeName);
}

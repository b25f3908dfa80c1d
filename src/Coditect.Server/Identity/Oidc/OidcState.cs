using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.IdentityModel.Tokens;

namespace Coditect.Server.Identity.Oidc;

/// <summary>
/// What a sign-in remembers between leaving for the provider and coming back: the provider's name, the <c>state</c>,
/// the <c>nonce</c>, the PKCE verifier, where to land, and when it started. It travels in an HttpOnly, SameSite=Lax
/// cookie (the callback is a top-level GET from the provider's site, which Lax lets through) protected by Data
/// Protection, and lives ten minutes by the injected clock.
/// </summary>
public sealed record OidcState(string Provider, string State, string Nonce, string Verifier, string Return, long StartedAt)
{
    public const string CookieName = "coditect_oidc";
    public const string CookiePath = "/signin/oidc";
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private const string Purpose = "Coditect.Identity.Oidc.State";

    public static OidcState Start(string provider, string returnPath, TimeProvider clock) =>
        new(provider, Random(), Random(), Random(), returnPath, clock.GetUtcNow().ToUnixTimeSeconds());

    public void Save(HttpContext http)
    {
        var protector = http.RequestServices.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose);
        http.Response.Cookies.Append(CookieName, protector.Protect(JsonSerializer.Serialize(this)), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Secure = http.Request.IsHttps,
            Path = CookiePath,
            MaxAge = Lifetime,
            IsEssential = true,
        });
    }

    /// <summary>The sign-in the cookie remembers, if it is intact, for <paramref name="provider"/> and not older than ten minutes; the cookie is removed either way.</summary>
    public static OidcState? Take(HttpContext http, string provider, TimeProvider clock)
    {
        var value = http.Request.Cookies[CookieName];
        http.Response.Cookies.Delete(CookieName, new CookieOptions { Path = CookiePath, Secure = http.Request.IsHttps, SameSite = SameSiteMode.Lax });
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        OidcState? state;
        try
        {
            var protector = http.RequestServices.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose);
            state = JsonSerializer.Deserialize<OidcState>(protector.Unprotect(value));
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or JsonException or FormatException)
        {
            return null;
        }

        var age = clock.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(state?.StartedAt ?? 0);
        return state is not null && state.Provider == provider && age >= TimeSpan.Zero && age <= Lifetime ? state : null;
    }

    private static string Random() => Base64UrlEncoder.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
}

using Coditect.Server.Identity.Oidc;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Identity.Pages;

/// <summary>
/// Leaves for a configured OpenID Connect provider: a new <see cref="OidcState"/> (state, nonce, PKCE verifier) in
/// its cookie, then a redirect to the provider's authorization endpoint (GitHub's, <see cref="GitHubClient"/>, for a
/// provider of <c>Kind=github</c>). The redirect URI comes from
/// <c>App:PublicUrl</c>, never from the Host header. An unknown provider is a 404.
/// </summary>
[AllowAnonymous]
public sealed class OidcStartModel(IOptions<OidcOptions> oidc, IOptions<AppOptions> app, OidcClient client, TimeProvider clock) : ConsolePage
{
    [BindProperty(SupportsGet = true, Name = "return")]
    public string? Return { get; set; }

    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(string provider, CancellationToken ct)
    {
        if (oidc.Value.Find(provider) is not { } settings)
        {
            return NotFound();
        }

        var limit = await RateLimits.HitSignInAsync(HttpContext);
        if (!limit.Allowed)
        {
            Error = $"Too many sign-in attempts from your address. Try again in {Math.Ceiling(limit.RetryAfter.TotalSeconds)} seconds.";
            var page = Page();
            page.StatusCode = StatusCodes.Status429TooManyRequests;
            return page;
        }

        var state = OidcState.Start(provider, SignInModel.SafeReturn(Return), clock);
        string url;
        try
        {
            url = settings.IsGitHub
                ? GitHubClient.AuthorizationUrl(settings, RedirectUri(app.Value, provider), state)
                : await client.AuthorizationUrlAsync(settings, RedirectUri(app.Value, provider), state, ct);
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException or OidcException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            Error = $"{DisplayName(provider, settings)} cannot be reached right now. Try again later, or sign in with your password.";
            var page = Page();
            page.StatusCode = StatusCodes.Status502BadGateway;
            return page;
        }

        state.Save(HttpContext);
        return Redirect(url);
    }

    /// <summary>The callback address registered at the provider: <c>{App:PublicUrl}/signin/oidc/{provider}/callback</c>.</summary>
    internal static string RedirectUri(AppOptions app, string provider) => app.Link($"/signin/oidc/{provider}/callback");

    internal static string DisplayName(string name, OidcProviderOptions provider) =>
        string.IsNullOrWhiteSpace(provider.DisplayName) ? name : provider.DisplayName;
}

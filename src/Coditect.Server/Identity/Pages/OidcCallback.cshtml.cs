using Coditect.Server.Identity.Oidc;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Identity.Pages;

/// <summary>
/// Where the provider sends the browser back: the state must match the sign-in cookie's, the code is exchanged
/// and the id token checked (<see cref="OidcClient"/>; for GitHub, the access token's user and primary address
/// read from its API, <see cref="GitHubClient"/>), then <see cref="OidcSignIn"/> says who signs in. Anything
/// wrong renders a page that says why (400), never a session.
/// </summary>
[AllowAnonymous]
public sealed class OidcCallbackModel(
    IOptions<OidcOptions> oidc, IOptions<AppOptions> app, OidcClient client, GitHubClient gitHub, OidcSignIn signIn, TimeProvider clock,
    ILogger<OidcCallbackModel> logger) : ConsolePage
{
    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(string provider, string? code, string? state, string? error, CancellationToken ct)
    {
        if (oidc.Value.Find(provider) is not { } settings)
        {
            return NotFound();
        }

        var started = OidcState.Take(HttpContext, provider, clock);
        if (started is null || state is null || !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(state), System.Text.Encoding.UTF8.GetBytes(started.State)))
        {
            logger.LogWarning(new EventId(1604, "OidcStateMismatch"), "OIDC callback from {Provider} without a matching sign-in state", provider);
            return Refused("This sign-in expired or was not started in this browser. Start again.");
        }

        var name = OidcStartModel.DisplayName(provider, settings);
        if (!string.IsNullOrEmpty(error) || string.IsNullOrEmpty(code))
        {
            return Refused($"{name} did not sign you in ({(string.IsNullOrEmpty(error) ? "no code" : error[..Math.Min(error.Length, 60)])}).");
        }

        OidcIdentity identity;
        try
        {
            var redirectUri = OidcStartModel.RedirectUri(app.Value, provider);
            identity = settings.IsGitHub
                ? await gitHub.ExchangeAsync(settings, code, redirectUri, started, ct)
                : await client.ExchangeAsync(settings, code, redirectUri, started, ct);
        }
        catch (OidcException e)
        {
            return Refused(e.Message);
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return Refused($"{name} cannot be reached right now. Try again later, or sign in with your password.");
        }

        var outcome = await signIn.ResolveAsync(provider, identity, ct);
        if (outcome.User is not { } user)
        {
            return Refused(outcome.Refusal!);
        }

        await ConsoleCookie.SignInAsync(HttpContext, user);
        return outcome.Kind switch
        {
            OidcSignIn.Kind.Linked => RedirectWith(started.Return, $"Your {name} account is now linked: use either to sign in."),
            OidcSignIn.Kind.Created => RedirectWith(started.Return, $"Welcome, {user.Name}."),
            _ => LocalRedirect(started.Return),
        };
    }

    private PageResult Refused(string message)
    {
        Error = message;
        var page = Page();
        page.StatusCode = StatusCodes.Status400BadRequest;
        return page;
    }
}

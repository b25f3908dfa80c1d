using Coditect.Server.WebConsole;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Coditect.Server.Identity.Pages;

/// <summary>Signs a person in to the console with the same account, password check and per-address limit as the API's login.</summary>
[AllowAnonymous]
public sealed class SignInModel(Accounts accounts, Microsoft.Extensions.Options.IOptions<Oidc.OidcOptions> oidc) : ConsolePage
{
    /// <summary>The configured OpenID Connect providers, a button each: (name, label).</summary>
    public IEnumerable<(string Name, string Label)> Providers =>
        oidc.Value.Providers.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, OidcStartModel.DisplayName(p.Key, p.Value)));

    [BindProperty]
    public string? Email { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    [BindProperty(SupportsGet = true, Name = "return")]
    public string? Return { get; set; }

    public string? Error { get; private set; }

    public bool NeedsVerification { get; private set; }

    public IActionResult OnGet() => User.Identity?.IsAuthenticated == true ? LocalRedirect(SafeReturn(Return)) : Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var limit = await RateLimits.HitSignInAsync(HttpContext);
        if (!limit.Allowed)
        {
            Error = $"Too many sign-in attempts from your address. Try again in {Math.Ceiling(limit.RetryAfter.TotalSeconds)} seconds.";
            HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(limit.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TooMany();
        }

        if (string.IsNullOrWhiteSpace(Email) || string.IsNullOrEmpty(Password) || Email.Length > 254 || Password.Length > 200)
        {
            Error = "Enter your email and password.";
            return Page();
        }

        var user = await accounts.VerifyAsync(Email, Password, ct);
        if (user is null)
        {
            Error = "The email or password is wrong.";
            return Page();
        }

        if (accounts.MustVerify(user))
        {
            Error = "Confirm your e-mail address first: follow the link we mailed you.";
            NeedsVerification = true;
            return Page();
        }

        await ConsoleCookie.SignInAsync(HttpContext, user);
        return LocalRedirect(SafeReturn(Return));
    }

    /// <summary>Mails a new verification link (the same answer whether or not one was due).</summary>
    public async Task<IActionResult> OnPostResendAsync([FromServices] MailedTokens tokens, CancellationToken ct)
    {
        var limit = await RateLimits.HitSignInAsync(HttpContext);
        if (!limit.Allowed)
        {
            Error = $"Too many attempts from your address. Try again in {Math.Ceiling(limit.RetryAfter.TotalSeconds)} seconds.";
            return TooMany();
        }

        await tokens.ResendVerificationAsync(Email, ct);
        return RedirectWith("/signin", "If that address waits for confirmation, a new link is on its way.");
    }

    private PageResult TooMany()
    {
        var page = Page();
        page.StatusCode = StatusCodes.Status429TooManyRequests;
        return page;
    }

    /// <summary>Only a local path (never <c>//host</c> or a full URL): the return address cannot send anyone elsewhere.</summary>
    internal static string SafeReturn(string? path) =>
        path is { Length: > 1 } && path[0] == '/' && path[1] != '/' && path[1] != '\\' && !path.Contains("://", StringComparison.Ordinal) ? path : "/";
}

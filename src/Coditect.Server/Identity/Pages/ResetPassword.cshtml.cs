using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Identity.Pages;

/// <summary>The page a reset e-mail links to: the same use case as <c>POST /api/v1/auth/password/reset</c>. A GET spends nothing.</summary>
[AllowAnonymous]
public sealed class ResetPasswordModel(MailedTokens tokens) : ConsolePage
{
    [BindProperty(SupportsGet = true, Name = "token")]
    public string? Token { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    public string? Error { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var limit = await RateLimits.HitSignInAsync(HttpContext);
        if (!limit.Allowed)
        {
            Error = $"Too many attempts from your address. Try again in {Math.Ceiling(limit.RetryAfter.TotalSeconds)} seconds.";
            var page = Page();
            page.StatusCode = StatusCodes.Status429TooManyRequests;
            return page;
        }

        var errors = await tokens.ResetPasswordAsync(Token, Password, ct);
        if (errors.IsValid)
        {
            await ConsoleCookie.SignOutAsync(HttpContext);
            return RedirectWith("/signin", "Your password is changed. Sign in with it.");
        }

        if (errors.Fields.Contains("token"))
        {
            Error = "This link is used or has expired. Ask for a new one.";
            Token = null;
            return Page();
        }

        ShowErrors(errors);
        return Page();
    }
}

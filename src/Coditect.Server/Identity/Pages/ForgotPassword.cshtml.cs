using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Identity.Pages;

/// <summary>"Forgot my password": the same use case and the same per-address limit as <c>POST /api/v1/auth/password/forgot</c>.</summary>
[AllowAnonymous]
public sealed class ForgotPasswordModel(MailedTokens tokens) : ConsolePage
{
    [BindProperty]
    public string? Email { get; set; }

    public bool Sent { get; private set; }

    public string? Error { get; private set; }

    public string Message => "If the address has an account, a link to choose a new password is on its way. It works once, within the hour.";

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

        var errors = await tokens.ForgotPasswordAsync(Email, ct);
        if (!errors.IsValid)
        {
            ShowErrors(errors);
            return Page();
        }

        Sent = true;
        return Page();
    }
}

using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Identity.Pages;

/// <summary>
/// The page a confirmation e-mail links to. Confirming takes a click (a POST): mail scanners that open links must not
/// spend the token. The same use case as <c>POST /api/v1/auth/email/verify</c>.
/// </summary>
[AllowAnonymous]
public sealed class VerifyEmailModel(MailedTokens tokens) : ConsolePage
{
    [BindProperty(SupportsGet = true, Name = "token")]
    public string? Token { get; set; }

    public string? Error { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var errors = await tokens.VerifyEmailAsync(Token, ct);
        if (errors.IsValid)
        {
            return RedirectWith("/signin", "Your address is confirmed. Sign in.");
        }

        Error = "This link is used or has expired.";
        return Page();
    }
}

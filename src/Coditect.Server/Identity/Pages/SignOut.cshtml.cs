using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Identity.Pages;

/// <summary>Ends the console session (a POST with antiforgery, so a link elsewhere cannot sign anyone out).</summary>
[AllowAnonymous]
public sealed class SignOutModel : ConsolePage
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        await ConsoleCookie.SignOutAsync(HttpContext);
        return LocalRedirect("/signin");
    }
}

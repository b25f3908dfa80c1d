using Coditect.Server.WebConsole;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Identity.Pages;

/// <summary>Creates a user and their first organization (the API's register), then signs them in to it.</summary>
[AllowAnonymous]
public sealed class SignUpModel(Accounts accounts) : ConsolePage
{
    [BindProperty]
    public string? Name { get; set; }

    [BindProperty]
    public string? Email { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    [BindProperty(Name = "organization_name")]
    public string? OrganizationName { get; set; }

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

        var registration = await accounts.RegisterAsync(Email, Password, Name, OrganizationName, invitationToken: null, ct);
        if (!registration.Succeeded)
        {
            ShowErrors(registration.Errors);
            return Page();
        }

        if (accounts.MustVerify(registration.User!))
        {
            return RedirectWith("/signin", $"Almost there: we mailed a link to {registration.User!.Email}. Follow it to confirm the address, then sign in.");
        }

        await ConsoleCookie.SignInAsync(HttpContext, registration.User!);
        return RedirectWith($"/orgs/{registration.Organization!.Slug}", $"Welcome, {registration.User!.Name}. {registration.Organization.Name} is ready: create its first licence.");
    }
}

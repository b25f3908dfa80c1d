using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Organizations.Pages;

/// <summary>
/// Where an invitation's link lands (<c>/invitations/{token}</c>): which organization and role it offers; a signed-in
/// person with the invited email accepts with one button, a visitor without an account signs up into the organization
/// (the API's register with <c>invitation_token</c>), and one with an account signs in first and comes back. A used,
/// revoked, expired or unknown link gets a page that says so. The posts share the sign-in budget per address.
/// </summary>
[AllowAnonymous]
public sealed class InvitationModel(Invitations invitations, Accounts accounts, CoditectDbContext db, TenantContext tenant) : ConsolePage
{
    public Invitations.Pending? Invitation { get; private set; }

    /// <summary>The signed-in person's email, when someone is signed in.</summary>
    public string? SignedInEmail { get; private set; }

    public bool IsForSignedInUser => SignedInEmail is not null && Invitation is not null && Identity.User.Normalize(SignedInEmail) == Invitation.Email;

    public string? Error { get; private set; }

    /// <summary>Set when the account exists: the visitor signs in first.</summary>
    public bool AccountExists { get; private set; }

    [BindProperty]
    public string? Name { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    public string SignInPath => $"{ConsoleCookie.SignInPath}?return={Uri.EscapeDataString(Request.Path.Value ?? "/")}";

    public async Task<IActionResult> OnGetAsync(string token, CancellationToken ct) => await LoadAsync(token, ct);

    public async Task<IActionResult> OnPostAcceptAsync(string token, CancellationToken ct)
    {
        if (await LimitedAsync(token, ct) is { } limited)
        {
            return limited;
        }

        if (tenant.UserId is null)
        {
            return LocalRedirect(SignInPath);
        }

        var accepted = await invitations.AcceptAsync(token, ct);
        if (accepted.Value is { } joined)
        {
            return RedirectWith($"/orgs/{joined.Organization.Slug}", $"Welcome to {joined.Organization.Name}: you joined as {joined.Role.ToWire()}.");
        }

        return await RefusedAsync(token, accepted.Refusal!, ct);
    }

    public async Task<IActionResult> OnPostSignUpAsync(string token, CancellationToken ct)
    {
        if (await LimitedAsync(token, ct) is { } limited)
        {
            return limited;
        }

        if (tenant.UserId is not null)
        {
            return LocalRedirect(Request.Path);
        }

        var invitation = await invitations.FindAsync(token, ct);
        if (invitation is null)
        {
            return await LoadAsync(token, ct);
        }

        var registration = await accounts.RegisterAsync(invitation.Email, Password, Name, organizationName: null, token, ct);
        if (registration.Succeeded)
        {
            await ConsoleCookie.SignInAsync(HttpContext, registration.User!);
            var organization = registration.Organization!;
            return RedirectWith($"/orgs/{organization.Slug}", $"Welcome, {registration.User!.Name}: you joined {organization.Name} as {invitation.Role.ToWire()}.");
        }

        if (registration.Refusal is { } refusal)
        {
            return await RefusedAsync(token, refusal, ct);
        }

        if (registration.EmailTaken)
        {
            AccountExists = true;
            Error = $"An account with {invitation.Email} exists already: sign in first, then accept.";
        }
        else
        {
            ShowErrors(registration.Errors);
        }

        return await LoadAsync(token, ct, StatusCodes.Status400BadRequest);
    }

    private async Task<IActionResult> RefusedAsync(string token, Refusal refusal, CancellationToken ct)
    {
        Error = refusal.Code switch
        {
            Contracts.Common.ProblemCodes.InvitationNotFound => null, // the page says the link is no longer valid
            Contracts.Common.ProblemCodes.AlreadyMember => "You are a member of this organization already.",
            _ => refusal.Title,
        };
        return await LoadAsync(token, ct, refusal.Status);
    }

    private async Task<IActionResult> LoadAsync(string token, CancellationToken ct, int status = StatusCodes.Status200OK)
    {
        Invitation = await invitations.FindAsync(token, ct);
        if (tenant.UserId is { } userId)
        {
            SignedInEmail = await db.Set<User>().Where(u => u.Id == userId).Select(u => u.Email).FirstOrDefaultAsync(ct);
        }

        var page = Page();
        page.StatusCode = Invitation is null ? StatusCodes.Status404NotFound : status;
        return page;
    }

    private async Task<IActionResult?> LimitedAsync(string token, CancellationToken ct)
    {
        var limit = await RateLimits.HitSignInAsync(HttpContext);
        if (limit.Allowed)
        {
            return null;
        }

        var seconds = (int)Math.Ceiling(limit.RetryAfter.TotalSeconds);
        HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Error = $"Too many attempts from your address. Try again in {seconds} seconds.";
        return await LoadAsync(token, ct, StatusCodes.Status429TooManyRequests);
    }
}

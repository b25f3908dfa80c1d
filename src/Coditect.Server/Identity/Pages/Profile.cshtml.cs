using Coditect.Contracts.Identity;
using Coditect.Server.Data;
using Coditect.Server.Notifications.Email;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Identity.Pages;

/// <summary>
/// The signed-in person's own account: their name, and their password. Changing the password (<see
/// cref="Accounts.ChangePasswordAsync"/>) gives the user a new security stamp and revokes their refresh tokens, so every
/// other console session ends at its next request and API sign-ins must sign in again; this session gets a new
/// cookie with the new stamp and stays.
/// </summary>
[Authorize]
public sealed class ProfileModel(CoditectDbContext db, Accounts accounts, EmailPreferences preferences, TenantContext tenant) : ConsolePage
{
    public IReadOnlyList<EmailPreference> EmailKinds { get; private set; } = [];
    public string Name { get; private set; } = "";
    public string Email { get; private set; } = "";
    public string? PasswordError { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostNameAsync([FromForm(Name = "name")] string? name, CancellationToken ct)
    {
        var errors = await accounts.RenameAsync(tenant.UserId!.Value, name, ct);
        if (!errors.IsValid)
        {
            ShowErrors(errors);
            await LoadAsync(ct);
            Name = name ?? "";
            return Status(Page(), StatusCodes.Status400BadRequest);
        }

        return RedirectWith("/profile", "Your name is changed.");
    }

    public async Task<IActionResult> OnPostPasswordAsync(
        [FromForm(Name = "current_password")] string? current, [FromForm(Name = "new_password")] string? replacement, CancellationToken ct)
    {
        var limit = await RateLimits.HitSignInAsync(HttpContext);
        if (!limit.Allowed)
        {
            PasswordError = $"Too many attempts from your address. Try again in {Math.Ceiling(limit.RetryAfter.TotalSeconds)} seconds.";
            await LoadAsync(ct);
            return Status(Page(), StatusCodes.Status429TooManyRequests);
        }

        var userId = tenant.UserId!.Value;
        var errors = await accounts.ChangePasswordAsync(userId, current, replacement, ct);
        if (!errors.IsValid)
        {
            ShowErrors(errors);
            await LoadAsync(ct);
            return Status(Page(), StatusCodes.Status400BadRequest);
        }

        // The new stamp ends every console session, this one too: sign this one in again with it.
        var user = await db.Set<User>().SingleAsync(u => u.Id == userId, ct);
        await ConsoleCookie.SignInAsync(HttpContext, user);
        return RedirectWith("/profile", "Your password is changed. You were signed out everywhere else.");
    }

    /// <summary>Saves the notification kinds left unticked as turned off (the same use case as <c>PUT /api/v1/me/email-preferences</c>).</summary>
    public async Task<IActionResult> OnPostEmailAsync([FromForm(Name = "enabled")] string[]? enabled, CancellationToken ct)
    {
        var on = (enabled ?? []).ToHashSet(StringComparer.Ordinal);
        var muted = MailKinds.Optional.Keys.Where(k => !on.Contains(k)).ToList();
        var saved = await preferences.SetAsync(tenant.UserId!.Value, muted, ct);
        return saved.Value is null
            ? Status(Page(), StatusCodes.Status400BadRequest)
            : RedirectWith("/profile#email", "Your e-mail choices are saved.");
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        EmailKinds = (await preferences.GetAsync(tenant.UserId!.Value, ct)).Kinds;
        var user = await db.Set<User>().AsNoTracking().Where(u => u.Id == tenant.UserId).Select(u => new { u.Name, u.Email }).SingleAsync(ct);
        (Name, Email) = (user.Name, user.Email);
    }

    private static Microsoft.AspNetCore.Mvc.RazorPages.PageResult Status(Microsoft.AspNetCore.Mvc.RazorPages.PageResult page, int status)
    {
        page.StatusCode = status;
        return page;
    }
}

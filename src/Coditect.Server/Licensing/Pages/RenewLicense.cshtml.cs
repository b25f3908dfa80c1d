using Coditect.Contracts.Licensing;
using Coditect.Server.Licensing.Admin;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Licensing.Pages;

/// <summary>
/// Sets a licence's new expiry, as <c>POST /api/v1/orgs/{org}/licenses/{id}/renew</c> does. The licence page's renew
/// form posts here; a refused expiry is shown beside the field on this page.
/// </summary>
[RequirePermission(Permission.ManageLicenses)]
public sealed class RenewLicenseModel(LicenseAdmin licenses) : ConsolePage
{
    public LicenseResponse License { get; private set; } = null!;

    [BindProperty(Name = "expires_at")]
    public string? ExpiresAt { get; set; }

    public string LicensePath => Shell.OrgPath($"/licenses/{License.Id}");

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        if (await licenses.GetAsync(id, ct) is not { } license)
        {
            return NotFound();
        }

        License = license;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken ct)
    {
        if (await licenses.GetAsync(id, ct) is not { } current)
        {
            return NotFound();
        }

        License = current;
        var errors = new Validator();
        var renewed = await licenses.RenewAsync(id, LicenseFormPage.ReadExpiry(errors, ExpiresAt), errors, ct);
        if (renewed.License is not { } license)
        {
            ShowErrors(renewed.Errors);
            return renewed.NotFound ? NotFound() : Page();
        }

        return RedirectWith(LicensePath, $"{license.Name} now expires {ConsoleViews.Time(license.ExpiresAt)}.");
    }
}

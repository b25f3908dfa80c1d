using Coditect.Contracts.Licensing;
using Coditect.Server.Licensing.Admin;
using Coditect.Server.Organizations;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Licensing.Pages;

/// <summary>Asks before deleting a licence, then deletes it as <c>DELETE /api/v1/orgs/{org}/licenses/{id}</c> does.</summary>
[RequirePermission(Permission.ManageLicenses)]
public sealed class DeleteLicenseModel(LicenseAdmin licenses) : ConsolePage
{
    public LicenseResponse License { get; private set; } = null!;

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
        if (await licenses.GetAsync(id, ct) is not { } license)
        {
            return NotFound();
        }

        if (await licenses.DeleteAsync(id, ct) is { } refusal)
        {
            return refusal.Status == StatusCodes.Status404NotFound ? NotFound() : RedirectWith(Shell.OrgPath($"/licenses/{id}"), refusal.Title);
        }

        return RedirectWith(Shell.OrgPath("/licenses"), $"{license.Name} is deleted.");
    }
}

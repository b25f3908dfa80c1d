using Coditect.Contracts.Licensing;
using Coditect.Server.Licensing.Admin;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Licensing.Pages;

/// <summary>Changes a licence's name, seats, expiry, entitlements and metadata, as <c>PATCH /api/v1/orgs/{org}/licenses/{id}</c> does.</summary>
[RequirePermission(Permission.ManageLicenses)]
public sealed class EditLicenseModel(LicenseAdmin licenses) : LicenseFormPage
{
    public LicenseResponse License { get; private set; } = null!;

    public override string SubmitLabel => "Save changes";

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        if (await licenses.GetAsync(id, ct) is not { } license)
        {
            return NotFound();
        }

        License = license;
        Fill(license);
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
        var updated = await licenses.UpdateAsync(id, ReadUpdate(current, errors), errors, ct);
        if (updated.License is not { } license)
        {
            ShowErrors(updated.Errors);
            return updated.NotFound ? NotFound() : Page();
        }

        return RedirectWith(Shell.OrgPath($"/licenses/{license.Id}"), $"{license.Name} is saved.");
    }
}

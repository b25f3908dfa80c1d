using Coditect.Server.Licensing.Admin;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Licensing.Pages;

/// <summary>Creates a licence, as <c>POST /api/v1/orgs/{org}/licenses</c> does; the detail page shows its key once.</summary>
[RequirePermission(Permission.ManageLicenses)]
public sealed class NewLicenseModel(LicenseAdmin licenses) : LicenseFormPage
{
    public override string SubmitLabel => "Create licence";

    public void OnGet() => SeatsTotal = "1";

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var errors = new Validator();
        var created = await licenses.CreateAsync(ReadCreate(errors), errors, ct);
        if (created.License is not { } license)
        {
            ShowErrors(created.Errors);
            return Page();
        }

        Secret = license.LicenseKey;
        return RedirectWith(Shell.OrgPath($"/licenses/{license.Id}"), $"{license.Name} is ready.");
    }
}

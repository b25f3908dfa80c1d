using Coditect.Contracts.Licensing;
using Coditect.Server.Licensing.Admin;
using Coditect.Server.Organizations;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Licensing.Pages;

/// <summary>
/// Reinstates a suspended licence, as <c>POST /api/v1/orgs/{org}/licenses/{id}/reinstate</c> does: the licence page's
/// reinstate button posts here (nothing to confirm: it takes nothing away); a GET shows the button on its own.
/// </summary>
[RequirePermission(Permission.ManageLicenses)]
public sealed class ReinstateLicenseModel(LicenseAdmin licenses) : ConsolePage
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
        var reinstated = await licenses.ReinstateAsync(id, ct);
        return reinstated.License is { } license
            ? RedirectWith(Shell.OrgPath($"/licenses/{id}"), $"{license.Name} is reinstated.")
            : NotFound();
    }
}

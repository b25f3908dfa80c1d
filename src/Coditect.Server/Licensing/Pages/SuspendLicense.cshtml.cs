using Coditect.Contracts.Licensing;
using Coditect.Server.Licensing.Admin;
using Coditect.Server.Organizations;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Licensing.Pages;

/// <summary>Asks before suspending a licence, then suspends it as <c>POST /api/v1/orgs/{org}/licenses/{id}/suspend</c> does.</summary>
[RequirePermission(Permission.ManageLicenses)]
public sealed class SuspendLicenseModel(LicenseAdmin licenses) : ConsolePage
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
        var suspended = await licenses.SuspendAsync(id, ct);
        return suspended.License is { } license
            ? RedirectWith(Shell.OrgPath($"/licenses/{id}"), $"{license.Name} is suspended.")
            : NotFound();
    }
}

using System.Text;
using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Licensing.Machines;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Signing;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Licensing.Pages;

/// <summary>The licence page's machines (node-locked licences) and its licence file download.</summary>
public sealed partial class LicenseModel
{
    /// <summary>How many machines the page lists; the API pages through the rest.</summary>
    public const int MachinesShown = 50;

    /// <summary>The newest machines of a node-locked licence; empty for a floating one.</summary>
    public CursorPage<MachineResponse> Machines { get; private set; } = new([], MachinesShown, null);

    /// <summary>The licence file form's machine (empty: a file for the licence as a whole).</summary>
    [BindProperty(Name = "hardware_id")]
    public string? FileHardwareId { get; set; }

    public bool IsNodeLocked => License.Type == LicenseTypes.NodeLocked;

    /// <summary>An admin deactivates a machine: its place is free at once.</summary>
    [RequirePermission(Permission.ManageMachines)]
    public async Task<IActionResult> OnPostDeactivateAsync(Guid id, Guid machineId, [FromServices] MachineActivations activations, CancellationToken ct)
    {
        if (await activations.AdminDeactivateAsync(id, machineId, ct) is { } refusal)
        {
            return refusal.Status == StatusCodes.Status404NotFound ? NotFound() : RedirectWith(Shell.OrgPath($"/licenses/{id}"), refusal.Title);
        }

        return RedirectWith(Shell.OrgPath($"/licenses/{id}#machines"), "The machine is deactivated.");
    }

    /// <summary>Downloads a signed licence file (as <c>POST /api/v1/orgs/{org}/licenses/{id}/file</c> answers it).</summary>
    [RequirePermission(Permission.ManageLicenses)]
    public async Task<IActionResult> OnPostFileAsync(Guid id, [FromServices] LicenseFiles files, CancellationToken ct)
    {
        var hardwareId = string.IsNullOrWhiteSpace(FileHardwareId) ? null : FileHardwareId;
        var issued = await files.IssueAsync(id, new LicenseFileRequest(hardwareId), ct);
        if (issued.Value is { } file)
        {
            var json = JsonSerializer.Serialize(new { license_file = file.LicenseFile, jwks = file.Jwks, expires_at = file.ExpiresAt });
            return File(Encoding.UTF8.GetBytes(json + "\n"), "application/json", $"license-{id:N}.lic");
        }

        if (issued.Refusal!.Status == StatusCodes.Status404NotFound)
        {
            return NotFound();
        }

        if (issued.Refusal.Errors is { } errors)
        {
            ShowErrors(errors);
            return await LoadAsync(id, range: null, ct) ? Page() : NotFound();
        }

        return RedirectWith(Shell.OrgPath($"/licenses/{id}"), issued.Refusal.Title);
    }

    private async Task<CursorPage<MachineResponse>> MachinesAsync(CancellationToken ct)
    {
        if (!IsNodeLocked)
        {
            return new([], MachinesShown, null);
        }

        var activations = HttpContext.RequestServices.GetRequiredService<MachineActivations>();
        return await activations.ListAsync(License.Id, new Keyset("activated_at", true, MachinesShown, null, null), "", ct)
            ?? new([], MachinesShown, null);
    }
}

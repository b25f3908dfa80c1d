using Coditect.Contracts.Licensing;
using Coditect.Server.Licensing.Admin;
using Coditect.Server.Organizations;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Licensing.Pages;

/// <summary>Asks before ending a session, then kicks it as <c>DELETE /api/v1/orgs/{org}/sessions/{id}</c> does.</summary>
[RequirePermission(Permission.ManageLicenses)]
public sealed class KickSessionModel(LicenseAdmin licenses) : ConsolePage
{
    public LicenseResponse License { get; private set; } = null!;
    public SessionResponse Session { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(Guid id, Guid sessionId, CancellationToken ct) =>
        await LoadAsync(id, sessionId, ct) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAsync(Guid id, Guid sessionId, CancellationToken ct)
    {
        if (!await LoadAsync(id, sessionId, ct) || await licenses.KickAsync(sessionId, ct) is not { } kicked)
        {
            return NotFound();
        }

        return RedirectWith(Shell.OrgPath($"/licenses/{id}"), kicked.Freed
            ? $"The session of {Session.HardwareId} is ended: its seat is free."
            : $"The session of {Session.HardwareId} was over already.");
    }

    private async Task<bool> LoadAsync(Guid id, Guid sessionId, CancellationToken ct)
    {
        if (await licenses.GetAsync(id, ct) is not { } license || await licenses.SessionAsync(id, sessionId, ct) is not { } session)
        {
            return false;
        }

        (License, Session) = (license, session);
        return true;
    }
}

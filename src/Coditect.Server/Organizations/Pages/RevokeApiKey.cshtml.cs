using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Organizations.Pages;

/// <summary>Confirms revoking an API key, and revokes it: every call with it answers 401 from then on.</summary>
[RequirePermission(Permission.ManageApiKeys)]
public sealed class RevokeApiKeyModel(ApiKeys apiKeys) : ConsolePage
{
    public ApiKey? Key { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        Key = await apiKeys.List().AsNoTracking().FirstOrDefaultAsync(k => k.Id == id, ct);
        return Key is null ? NotFound() : Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken ct)
    {
        Key = await apiKeys.List().AsNoTracking().FirstOrDefaultAsync(k => k.Id == id, ct);
        if (Key is null || await apiKeys.RevokeAsync(id, ct) is not null)
        {
            return NotFound();
        }

        return RedirectWith(Shell.OrgPath("/api-keys"), $"API key “{Key.Name}” is revoked: calls with it now answer 401.");
    }
}

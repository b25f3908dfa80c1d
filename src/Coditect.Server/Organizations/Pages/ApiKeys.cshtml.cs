using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Organizations.Pages;

/// <summary>
/// The organization's API keys, revoked ones included, newest first; creating one (its key shown once, never a
/// stronger role than the caller's) and revoking one through its confirmation page.
/// </summary>
[RequirePermission(Permission.ManageApiKeys)]
public sealed class ApiKeysModel(ApiKeys apiKeys) : ConsolePage
{
    public IReadOnlyList<ApiKey> Keys { get; private set; } = [];
    public int? PreviousPage { get; private set; }
    public int? NextPage { get; private set; }
    public IReadOnlyList<Role> Creatable { get; private set; } = [];
    public string? Name { get; private set; }
    public string KeyRole { get; private set; } = "viewer";

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostAsync([FromForm(Name = "name")] string? name, [FromForm(Name = "role")] string? role, CancellationToken ct)
    {
        var created = await apiKeys.CreateAsync(name, role, ct);
        if (created.Value is not { } apiKey)
        {
            var refusal = created.Refusal!;
            if (refusal.Errors is null)
            {
                return StatusCode(refusal.Status); // a role above the caller's: the form never offers one
            }

            ShowErrors(refusal.Errors);
            (Name, KeyRole) = (name, role ?? KeyRole);
            await LoadAsync(ct);
            var page = Page();
            page.StatusCode = refusal.Status;
            return page;
        }

        Secret = apiKey.Key;
        return RedirectWith(Shell.OrgPath("/api-keys"), $"API key “{apiKey.Name}” ({apiKey.Role}) is ready. Copy it now: it is shown only once.");
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var paging = Paging.Parse(Request, new Validator());
        var list = await paging.ToListAsync(apiKeys.List(), k => k, ct);
        Keys = list.Items;
        PreviousPage = list.Page > 1 ? list.Page - 1 : null;
        NextPage = list.NextPage;
        Creatable = apiKeys.CreatableRoles();
    }
}

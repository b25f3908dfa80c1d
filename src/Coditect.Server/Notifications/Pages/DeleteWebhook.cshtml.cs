using Coditect.Contracts.Notifications;
using Coditect.Server.Notifications.Webhooks;
using Coditect.Server.Organizations;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Notifications.Pages;

/// <summary>Confirms deleting a webhook endpoint, and deletes it with its delivery log.</summary>
[RequirePermission(Permission.ManageWebhooks)]
public sealed class DeleteWebhookModel(WebhookAdmin webhooks) : ConsolePage
{
    public WebhookResponse? Endpoint { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        Endpoint = await webhooks.GetAsync(id, ct);
        return Endpoint is null ? NotFound() : Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken ct) =>
        await webhooks.DeleteAsync(id, ct)
            ? RedirectWith(Shell.OrgPath("/webhooks"), "The endpoint is deleted, with its delivery log.")
            : NotFound();
}

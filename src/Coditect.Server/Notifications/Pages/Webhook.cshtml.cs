using Coditect.Contracts.Common;
using Coditect.Contracts.Notifications;
using Coditect.Server.Notifications.Webhooks;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Notifications.Pages;

/// <summary>
/// One endpoint: its facts, its signing secret once after it was made or rotated, its delivery log (newest first, a
/// filter by state), and its actions: send a test event, redeliver one delivery, rotate the secret, turn it off or on,
/// and delete it through its confirmation page.
/// </summary>
[RequirePermission(Permission.ManageWebhooks)]
public sealed class WebhookModel(WebhookAdmin webhooks) : ConsolePage
{
    public WebhookResponse Endpoint { get; private set; } = null!;
    public CursorPage<WebhookDeliveryResponse> Deliveries { get; private set; } = null!;
    public bool IsFirstPage { get; private set; } = true;
    public string Status { get; private set; } = "";

    public string EndpointPath => Shell.OrgPath($"/webhooks/{Endpoint.Id}");

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct) => await LoadAsync(id, ct) ? Page() : NotFound();

    public async Task<IActionResult> OnPostTestAsync(Guid id, CancellationToken ct) =>
        await webhooks.SendTestAsync(id, ct) is null ? NotFound()
            : RedirectWith(Shell.OrgPath($"/webhooks/{id}"), "A webhook.test event is on its way: it shows in the log below.");

    public async Task<IActionResult> OnPostRedeliverAsync(Guid id, [FromForm(Name = "delivery_id")] Guid deliveryId, CancellationToken ct) =>
        await webhooks.RedeliverAsync(id, deliveryId, ct) is null ? NotFound()
            : RedirectWith(Shell.OrgPath($"/webhooks/{id}"), "The delivery is sent again, with the same webhook-id.");

    public async Task<IActionResult> OnPostRotateAsync(Guid id, CancellationToken ct)
    {
        var rotated = await webhooks.RotateSecretAsync(id, ct);
        if (rotated.Value is not { } endpoint)
        {
            return NotFound();
        }

        Secret = endpoint.Secret;
        return RedirectWith(Shell.OrgPath($"/webhooks/{id}"),
            "A new signing secret: copy it now. The old one also signs for 24 hours, so your receiver can switch without losing a message.");
    }

    public async Task<IActionResult> OnPostEnabledAsync(Guid id, [FromForm(Name = "enabled")] bool enabled, CancellationToken ct)
    {
        var changed = await webhooks.UpdateAsync(id, new UpdateWebhookRequest(null, null, null, enabled), ct);
        return changed.Value is null ? NotFound()
            : RedirectWith(Shell.OrgPath($"/webhooks/{id}"), enabled ? "The endpoint is on." : "The endpoint is off: nothing is sent to it until it is on again.");
    }

    private async Task<bool> LoadAsync(Guid id, CancellationToken ct)
    {
        if (await webhooks.GetAsync(id, ct) is not { } endpoint)
        {
            return false;
        }

        Endpoint = endpoint;
        var errors = new Validator();
        var keyset = Keyset.Parse(Request, errors, WebhookAdmin.DeliverySorts);
        IsFirstPage = keyset.AfterId is null;
        var status = Request.Query["status"].ToString();
        Status = status is DeliveryStatus.Pending or DeliveryStatus.Succeeded or DeliveryStatus.Failed ? status : "";
        Deliveries = (await webhooks.DeliveriesAsync(id, Status, keyset, ct))!;
        return true;
    }
}

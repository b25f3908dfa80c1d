using Coditect.Contracts.Notifications;
using Coditect.Server.Notifications.Webhooks;
using Coditect.Server.Organizations;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Notifications.Pages;

/// <summary>One delivery: every attempt (time, answer, latency, the first 1 KB of the answer or the error), oldest first.</summary>
[RequirePermission(Permission.ManageWebhooks)]
public sealed class WebhookDeliveryModel(WebhookAdmin webhooks) : ConsolePage
{
    public WebhookDeliveryResponse Delivery { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(Guid id, Guid deliveryId, CancellationToken ct)
    {
        if (await webhooks.DeliveryAsync(id, deliveryId, ct) is not { } delivery)
        {
            return NotFound();
        }

        Delivery = delivery;
        return Page();
    }
}

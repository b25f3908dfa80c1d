using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.Notifications;
using Coditect.Server.Data;
using Coditect.Server.Platform;
using Coditect.Server.Signing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Notifications.Webhooks;

/// <summary>
/// The webhook use cases (scoped), in the organization the caller's permission check entered: endpoints and their
/// secrets, the delivery log, redelivery and test events. The audit trail follows from the save
/// (<c>webhook_subscription.created|updated|deleted</c>; the secrets are never in it).
/// </summary>
public sealed class WebhookAdmin(CoditectDbContext db, MasterKey masterKey, IOptions<WebhookOptions> options, WebhookSignal signal, TimeProvider clock)
{
    internal const string SecretPurpose = "webhook-secret";
    public const string TestEventType = "webhook.test";

    /// <summary>How long a rotated-out secret keeps signing.</summary>
    public static readonly TimeSpan RotationOverlap = TimeSpan.FromHours(24);

    /// <summary>The sorts the endpoint list offers; oldest first by default.</summary>
    public static readonly SortKeys<WebhookSubscription> Sorts = new SortKeys<WebhookSubscription>(e => e.Id, "created_at", false)
        .Add("created_at", e => e.CreatedAt).Add("url", e => e.Url);

    /// <summary>The delivery log's one order: newest first.</summary>
    public static readonly SortKeys<WebhookDelivery> DeliverySorts = new SortKeys<WebhookDelivery>(d => d.Id, "created_at", true)
        .Add("created_at", d => d.CreatedAt);

    public Task<CursorPage<WebhookResponse>> ListAsync(Keyset keyset, CancellationToken ct) =>
        keyset.ToPageAsync(db.Set<WebhookSubscription>().AsNoTracking(), Sorts, e => e.ToResponse(), ct);

    public async Task<WebhookResponse?> GetAsync(Guid id, CancellationToken ct) =>
        (await db.Set<WebhookSubscription>().AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, ct))?.ToResponse();

    public async Task<Outcome<WebhookResponse>> CreateAsync(CreateWebhookRequest request, CancellationToken ct)
    {
        var errors = new Validator();
        var url = Url(errors, request.Url);
        var description = Description(errors, request.Description);
        var types = WebhookEventTypes.Parse(errors, "event_types", request.EventTypes);
        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        var secret = WebhookSignature.NewSecret();
        var endpoint = new WebhookSubscription
        {
            Url = url,
            Description = description,
            EventTypes = JsonSerializer.Serialize(types),
            Enabled = request.Enabled ?? true,
            Secret = Encrypt(secret),
        };
        db.Add(endpoint);
        await db.SaveChangesAsync(ct);
        return endpoint.ToResponse(secret);
    }

    public async Task<Outcome<WebhookResponse>> UpdateAsync(Guid id, UpdateWebhookRequest request, CancellationToken ct)
    {
        var endpoint = await db.Set<WebhookSubscription>().FirstOrDefaultAsync(e => e.Id == id, ct);
        if (endpoint is null)
        {
            return NotFound();
        }

        var errors = new Validator();
        if (request.Url is not null)
        {
            endpoint.Url = Url(errors, request.Url);
        }

        if (request.Description is not null)
        {
            endpoint.Description = Description(errors, request.Description);
        }

        if (request.EventTypes is not null)
        {
            endpoint.EventTypes = JsonSerializer.Serialize(WebhookEventTypes.Parse(errors, "event_types", request.EventTypes));
        }

        if (request.Enabled is { } enabled)
        {
            endpoint.Enabled = enabled;
            if (enabled)
            {
                // Turned back on by a person: a fresh start, and the server's reason for turning it off is gone.
                endpoint.DisabledReason = null;
                endpoint.FailingSince = null;
            }
        }

        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        await db.SaveChangesAsync(ct);
        return endpoint.ToResponse();
    }

    /// <summary>Deletes the endpoint with its delivery log; pending deliveries stop. False when there is none.</summary>
    public async Task<bool> DeleteAsync(Guid id, CancellationToken ct)
    {
        var endpoint = await db.Set<WebhookSubscription>().FirstOrDefaultAsync(e => e.Id == id, ct);
        if (endpoint is null)
        {
            return false;
        }

        db.Remove(endpoint);
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>A new secret, shown once; the old one keeps signing beside it for <see cref="RotationOverlap"/>.</summary>
    public async Task<Outcome<WebhookResponse>> RotateSecretAsync(Guid id, CancellationToken ct)
    {
        var endpoint = await db.Set<WebhookSubscription>().FirstOrDefaultAsync(e => e.Id == id, ct);
        if (endpoint is null)
        {
            return NotFound();
        }

        var secret = WebhookSignature.NewSecret();
        endpoint.PreviousSecret = endpoint.Secret;
        endpoint.PreviousSecretUntil = clock.GetUtcNow().UtcDateTime + RotationOverlap;
        endpoint.Secret = Encrypt(secret);
        await db.SaveChangesAsync(ct);
        return endpoint.ToResponse(secret);
    }

    /// <summary>The endpoint's deliveries, newest first, or null when there is no such endpoint.</summary>
    public async Task<CursorPage<WebhookDeliveryResponse>?> DeliveriesAsync(Guid endpointId, string status, Keyset keyset, CancellationToken ct)
    {
        if (!await db.Set<WebhookSubscription>().AnyAsync(e => e.Id == endpointId, ct))
        {
            return null;
        }

        var deliveries = db.Set<WebhookDelivery>().AsNoTracking().Where(d => d.EndpointId == endpointId);
        if (status.Length > 0)
        {
            deliveries = deliveries.Where(d => d.Status == status);
        }

        return await keyset.ToPageAsync(deliveries, DeliverySorts, d => d.ToResponse(), ct);
    }

    /// <summary>One delivery with its attempts, oldest first, or null.</summary>
    public async Task<WebhookDeliveryResponse?> DeliveryAsync(Guid endpointId, Guid deliveryId, CancellationToken ct)
    {
        var delivery = await db.Set<WebhookDelivery>().AsNoTracking().FirstOrDefaultAsync(d => d.Id == deliveryId && d.EndpointId == endpointId, ct);
        if (delivery is null)
        {
            return null;
        }

        var attempts = await db.Set<WebhookAttempt>().AsNoTracking().Where(a => a.DeliveryId == deliveryId)
            .OrderBy(a => a.CreatedAt).ThenBy(a => a.Id).ToListAsync(ct);
        return delivery.ToResponse([.. attempts.Select(a => new WebhookAttemptResponse(a.CreatedAt, a.StatusCode, a.LatencyMs, a.Response, a.Error))]);
    }

    /// <summary>Sends a delivery again now, whatever became of it, with the same <c>webhook-id</c>; null when there is none.</summary>
    public async Task<WebhookDeliveryResponse?> RedeliverAsync(Guid endpointId, Guid deliveryId, CancellationToken ct)
    {
        // One UPDATE that writes every column it means, whatever the row held when read: an attempt in flight that is
        // recorded meanwhile (with the row locked) cannot leave it "succeeded"; one recorded after sees the cleared claim
        // token and leaves this schedule alone.
        var now = clock.GetUtcNow().UtcDateTime;
        var changed = await db.Set<WebhookDelivery>().Where(d => d.Id == deliveryId && d.EndpointId == endpointId)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DeliveryStatus.Pending).SetProperty(d => d.NextAttemptAt, now)
                .SetProperty(d => d.LeaseUntil, (DateTime?)null).SetProperty(d => d.ClaimToken, (Guid?)null).SetProperty(d => d.UpdatedAt, now), ct);
        if (changed == 0)
        {
            return null;
        }

        signal.AfterCommit(db);
        var delivery = await db.Set<WebhookDelivery>().AsNoTracking().SingleAsync(d => d.Id == deliveryId, ct);
        return delivery.ToResponse();
    }

    /// <summary>Queues a <c>webhook.test</c> event for this endpoint alone (whatever it subscribes to); null when there is none.</summary>
    public async Task<WebhookDeliveryResponse?> SendTestAsync(Guid endpointId, CancellationToken ct)
    {
        var endpoint = await db.Set<WebhookSubscription>().AsNoTracking().FirstOrDefaultAsync(e => e.Id == endpointId, ct);
        if (endpoint is null)
        {
            return null;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var eventId = "evt_test_" + Guid.CreateVersion7().ToString("N");
        var delivery = WebhookFanOut.NewDelivery(endpoint, eventId, TestEventType, now,
            JsonSerializer.SerializeToElement(new { webhook_id = endpoint.Id, message = "A test event sent from CODITECT." }));
        db.Add(delivery);
        await db.SaveChangesAsync(ct);
        signal.AfterCommit(db);
        return delivery.ToResponse();
    }

    private string Url(Validator errors, string? value)
    {
        var url = errors.Required("url", value, 2000);
        if (url.Length > 0 && WebhookNetwork.Refusal(url, options.Value.AllowPrivateNetworks) is { } reason)
        {
            errors.Add("url", reason);
        }

        return url;
    }

    private static string Description(Validator errors, string? value)
    {
        var description = (value ?? "").Trim();
        if (description.Length > 500)
        {
            errors.Add("description", "must be at most 500 characters.");
        }

        return description;
    }

    private byte[] Encrypt(string secret) => masterKey.Encrypt(System.Text.Encoding.UTF8.GetBytes(secret), SecretPurpose);

    private static Refusal NotFound() => Refusal.NotFound(ProblemCodes.WebhookNotFound, "The webhook endpoint");
}

public static class WebhookResponses
{
    public static WebhookResponse ToResponse(this WebhookSubscription e, string? secret = null) => new(
        e.Id, e.Url, e.Description, JsonSerializer.Deserialize<List<string>>(e.EventTypes) ?? [], e.Enabled, e.DisabledReason,
        e.FailingSince, e.CreatedAt, e.UpdatedAt, secret);

    public static WebhookDeliveryResponse ToResponse(this WebhookDelivery d, IReadOnlyList<WebhookAttemptResponse>? attempts = null) => new(
        d.Id, d.EndpointId, d.EventId, d.EventType, d.Status, d.AttemptCount, d.Status == DeliveryStatus.Pending ? d.NextAttemptAt : null,
        d.LastStatusCode, d.CreatedAt, d.DeliveredAt, d.Sequence, attempts);
}

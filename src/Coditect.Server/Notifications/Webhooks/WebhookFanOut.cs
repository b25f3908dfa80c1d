using System.Globalization;
using System.Text;
using System.Text.Json;
using Coditect.Server.Data;
using Coditect.Server.Platform.Outbox;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Notifications.Webhooks;

/// <summary>
/// The outbox's once-per-cluster subscriber: each event becomes one delivery per enabled endpoint of its organization
/// that subscribes to its type, in the dispatcher's transaction, so an event is queued exactly when the dispatcher's
/// progress past it commits: a crash before that rolls the deliveries back with the progress, so the event is queued
/// again, never twice (the unique (endpoint, event) index states it). Sending happens later, outside any transaction (<see cref="WebhookSender"/>).
/// </summary>
public static class WebhookFanOut
{
    public static IServiceCollection AddWebhookFanOut(this IServiceCollection services)
    {
        services.AddScoped<Endpoints>();
        return services.AddOutboxSubscription("webhooks.fan-out", Delivery.OncePerCluster, type => WebhookEventTypes.All.Contains(type), QueueAsync);
    }

    private static async Task QueueAsync(OutboxMessage message, IServiceProvider scope, CancellationToken ct)
    {
        var db = scope.GetRequiredService<CoditectDbContext>();
        var eventId = "evt_" + message.Id.ToString(CultureInfo.InvariantCulture);
        var queued = false;
        var endpoints = scope.GetRequiredService<Endpoints>();
        foreach (var (endpoint, subscribed) in await endpoints.EnabledAsync(db, ct))
        {
            // An endpoint gets the events raised after it was added, not older ones the dispatcher reaches only now.
            if (endpoint.CreatedAt <= message.CreatedAt && WebhookEventTypes.Wants(subscribed, message.Type))
            {
                var delivery = NewDelivery(endpoint, eventId, message.Type, message.CreatedAt, message.Data);
                delivery.Sequence = await endpoints.NextSequenceAsync(db, endpoint, ct);
                db.Add(delivery);
                queued = true;
            }
        }

        if (queued)
        {
            // Saved by the dispatcher with the rest of its batch and its progress (OutboxSubscription), in one go.
            scope.GetRequiredService<WebhookSignal>().AfterCommit(db);
        }
    }

    /// <summary>
    /// The organization's enabled endpoints with their subscriptions, read once per dispatcher batch (a scope: one
    /// organization, one transaction, up to a hundred events) instead of once per event.
    /// </summary>
    private sealed class Endpoints
    {
        private List<(WebhookSubscription Endpoint, List<string> Subscribed)>? _enabled;
        private Dictionary<Guid, WebhookSequence>? _sequences;

        public async Task<List<(WebhookSubscription Endpoint, List<string> Subscribed)>> EnabledAsync(CoditectDbContext db, CancellationToken ct) =>
            _enabled ??= [.. (await db.Set<WebhookSubscription>().AsNoTracking().Where(e => e.Enabled).ToListAsync(ct))
                .Select(e => (e, JsonSerializer.Deserialize<List<string>>(e.EventTypes) ?? []))];

        /// <summary>
        /// The endpoint's next sequence number. The counters are read (tracked) once per batch and saved with it; only
        /// this handler writes them, and the dispatcher holds the organization while it runs, so no one else moves them.
        /// </summary>
        public async Task<long> NextSequenceAsync(CoditectDbContext db, WebhookSubscription endpoint, CancellationToken ct)
        {
            if (_sequences is null)
            {
                var ids = (await EnabledAsync(db, ct)).Select(e => e.Endpoint.Id).ToList();
                _sequences = await db.Set<WebhookSequence>().Where(s => ids.Contains(s.EndpointId)).ToDictionaryAsync(s => s.EndpointId, ct);
            }

            if (!_sequences.TryGetValue(endpoint.Id, out var sequence))
            {
                sequence = new WebhookSequence { EndpointId = endpoint.Id, TenantId = endpoint.TenantId };
                db.Add(sequence);
                _sequences[endpoint.Id] = sequence;
            }

            return ++sequence.LastSequence;
        }
    }

    /// <summary>A pending delivery of <paramref name="data"/> as the Standard Webhooks body <c>{type, timestamp, data}</c>.</summary>
    internal static WebhookDelivery NewDelivery(WebhookSubscription endpoint, string eventId, string type, DateTime at, JsonElement data)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", type);
            json.WriteString("timestamp", DateTime.SpecifyKind(at, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
            json.WritePropertyName("data");
            data.WriteTo(json);
            json.WriteEndObject();
        }

        return new WebhookDelivery
        {
            TenantId = endpoint.TenantId,
            EndpointId = endpoint.Id,
            EventId = eventId,
            EventType = type,
            Payload = Encoding.UTF8.GetString(buffer.ToArray()),
            NextAttemptAt = at,
        };
    }
}

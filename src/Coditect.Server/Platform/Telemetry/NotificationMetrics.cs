using System.Diagnostics.Metrics;

namespace Coditect.Server.Platform.Telemetry;

/// <summary>
/// Webhook and e-mail outcomes (notifications): <see cref="Notifications.Webhooks.WebhookSender"/> records every
/// webhook attempt; nothing sends e-mail yet, so that counter reports nothing until it does. The names and tags:
/// <list type="bullet">
/// <item><c>coditect.webhook.deliveries</c> (counter, <c>{delivery}</c>; Prometheus
/// <c>coditect_webhook_deliveries_total</c>): one per delivery attempt; tag <c>outcome</c> =
/// <c>delivered</c> (2xx) | <c>failed</c> (will be retried) | <c>abandoned</c> (retries exhausted).</item>
/// <item><c>coditect.webhook.delivery.duration</c> (histogram, seconds; <c>coditect_webhook_delivery_duration_seconds</c>):
/// the HTTP call to the subscriber's endpoint; tag <c>outcome</c> as above.</item>
/// <item><c>coditect.email.messages</c> (counter, <c>{message}</c>; <c>coditect_email_messages_total</c>): one per
/// message handed to SMTP; tags <c>kind</c> (<c>invitation</c>, <c>password_reset</c>, <c>email_verification</c>,
/// <c>license_expiring</c>, <c>seats_exhausted</c>) and <c>outcome</c> = <c>sent</c> | <c>failed</c>.</item>
/// </list>
/// No tag carries an organization, endpoint URL or address: one series per outcome, whatever the number of tenants.
/// </summary>
public sealed class NotificationMetrics
{
    public const string MeterName = "Coditect.Notifications";

    private readonly Counter<long> _webhookDeliveries;
    private readonly Histogram<double> _webhookDuration;
    private readonly Counter<long> _emails;

    public NotificationMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _webhookDeliveries = meter.CreateCounter<long>("coditect.webhook.deliveries", "{delivery}", "Webhook delivery attempts by outcome");
        _webhookDuration = meter.CreateHistogram<double>("coditect.webhook.delivery.duration", "s", "Duration of webhook HTTP calls",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _emails = meter.CreateCounter<long>("coditect.email.messages", "{message}", "E-mail messages handed to SMTP by kind and outcome");
    }

    /// <summary>One webhook delivery attempt: <paramref name="outcome"/> is <c>delivered</c>, <c>failed</c> or <c>abandoned</c>.</summary>
    public void WebhookAttempted(string outcome, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
        _webhookDeliveries.Add(1, tag);
        _webhookDuration.Record(duration.TotalSeconds, tag);
    }

    /// <summary>One e-mail: <paramref name="kind"/> as listed above, <paramref name="outcome"/> <c>sent</c> or <c>failed</c>.</summary>
    public void EmailSent(string kind, string outcome) =>
        _emails.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", outcome));
}

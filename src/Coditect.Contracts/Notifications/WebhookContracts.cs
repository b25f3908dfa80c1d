namespace Coditect.Contracts.Notifications;

/// <summary>A new endpoint. <c>EventTypes</c> empty or absent: every event type.</summary>
public sealed record CreateWebhookRequest(string? Url, string? Description, IReadOnlyList<string>? EventTypes, bool? Enabled);

/// <summary>Partial update: a member that is absent (null) keeps its value.</summary>
public sealed record UpdateWebhookRequest(string? Url, string? Description, IReadOnlyList<string>? EventTypes, bool? Enabled);

/// <summary>
/// A webhook endpoint. <c>Secret</c> (<c>whsec_...</c>) is present only in the answer to its creation and to a
/// rotation. <c>DisabledReason</c> says why the server turned it off (failing for days), null when a person did or it
/// is on. <c>FailingSince</c> is the first failed attempt since the last success.
/// </summary>
public sealed record WebhookResponse(
    Guid Id, string Url, string Description, IReadOnlyList<string> EventTypes, bool Enabled, string? DisabledReason,
    DateTime? FailingSince, DateTime CreatedAt, DateTime UpdatedAt, string? Secret = null);

/// <summary>
/// One event for one endpoint: <c>Status</c> is <c>pending</c> (waiting for its next attempt), <c>succeeded</c> or
/// <c>failed</c> (every retry used). <c>Attempts</c> is the attempt log, oldest first, on the single-delivery read only.
/// </summary>
public sealed record WebhookDeliveryResponse(
    Guid Id, Guid EndpointId, string EventId, string EventType, string Status, int AttemptCount, DateTime? NextAttemptAt,
    int? LastStatusCode, DateTime CreatedAt, DateTime? DeliveredAt, long? Sequence, IReadOnlyList<WebhookAttemptResponse>? Attempts = null);

/// <summary>One attempt: the answer's status (null when none came), its latency, the first 1 KB of its body, or the error.</summary>
public sealed record WebhookAttemptResponse(DateTime At, int? StatusCode, int LatencyMs, string? Response, string? Error);

/// <summary>The event types an endpoint may subscribe to.</summary>
public sealed record WebhookEventTypesResponse(IReadOnlyList<string> EventTypes);

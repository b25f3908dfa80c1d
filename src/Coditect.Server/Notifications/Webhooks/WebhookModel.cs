using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Coditect.Server.Notifications.Webhooks;

/// <summary>
/// Where an organization wants its events: a URL, the event types it subscribes to (<see cref="EventTypes"/>, a JSON
/// array; empty for every type) and its signing secret, encrypted under the master key (it must be read back to sign,
/// so it cannot be hashed). After a rotation the previous secret keeps signing until <see cref="PreviousSecretUntil"/>.
/// </summary>
[Audited]
public sealed class WebhookSubscription : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }
    public required string Url { get; set; }
    public string Description { get; set; } = "";
    public string EventTypes { get; set; } = "[]";
    public bool Enabled { get; set; } = true;

    /// <summary>Why the server turned the endpoint off (failing for days); null when on, or when a person turned it off.</summary>
    public string? DisabledReason { get; set; }

    [NotAudited]
    public byte[] Secret { get; set; } = [];

    [NotAudited]
    public byte[]? PreviousSecret { get; set; }

    public DateTime? PreviousSecretUntil { get; set; }

    /// <summary>The first failed attempt since the last success; null while the endpoint answers.</summary>
    public DateTime? FailingSince { get; set; }
}

/// <summary>Where a delivery stands.</summary>
public static class DeliveryStatus
{
    public const string Pending = "pending";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}

/// <summary>
/// One event for one endpoint, with the exact body every attempt sends (<see cref="Payload"/>). Claimed by a node's
/// sender for the length of an attempt (<see cref="LeaseUntil"/>, <see cref="ClaimToken"/>): a node that dies
/// mid-attempt leaves a lease that lapses, and another node sends again (at least once).
/// </summary>
[NotAudited]
public sealed class WebhookDelivery : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid EndpointId { get; set; }
    public required string EventId { get; set; }
    public required string EventType { get; set; }
    public required string Payload { get; set; }
    public string Status { get; set; } = DeliveryStatus.Pending;
    public int AttemptCount { get; set; }
    public DateTime? NextAttemptAt { get; set; }
    public DateTime? LeaseUntil { get; set; }
    public Guid? ClaimToken { get; set; }
    public int? LastStatusCode { get; set; }
    public DateTime? DeliveredAt { get; set; }

    /// <summary>
    /// The endpoint's number of the event (<c>webhook-sequence</c>): 1, 2, 3, ... in the order its organization's events
    /// were raised (the outbox's order). Null for test events, which are not part of that stream.
    /// </summary>
    public long? Sequence { get; set; }
}

/// <summary>
/// The last <see cref="WebhookDelivery.Sequence"/> given to an endpoint. Written only by the outbox's fan-out, which
/// runs once per cluster with the organization claimed, in the transaction that queues the deliveries: numbers are
/// given in event order, without gaps, and roll back with the deliveries.
/// </summary>
[NotAudited]
public sealed class WebhookSequence : ITenantOwned
{
    public Guid EndpointId { get; set; }
    public Guid TenantId { get; set; }
    public long LastSequence { get; set; }
}

/// <summary>One attempt of a delivery: when (<see cref="Entity.CreatedAt"/>), the answer's status, latency and first 1 KB.</summary>
[NotAudited]
public sealed class WebhookAttempt : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid DeliveryId { get; set; }
    public Guid EndpointId { get; set; }
    public int? StatusCode { get; set; }
    public int LatencyMs { get; set; }
    public string? Response { get; set; }
    public string? Error { get; set; }
}

internal sealed class WebhookSubscriptionConfiguration : IEntityTypeConfiguration<WebhookSubscription>
{
    public void Configure(EntityTypeBuilder<WebhookSubscription> endpoint)
    {
        endpoint.Property(e => e.Url).HasMaxLength(2000);
        endpoint.Property(e => e.Description).HasMaxLength(500);
        endpoint.Property(e => e.DisabledReason).HasMaxLength(500);
        endpoint.HasIndex(e => new { e.TenantId, e.CreatedAt });
        endpoint.HasOne<Organization>().WithMany().HasForeignKey(e => e.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> delivery)
    {
        delivery.Property(d => d.EventId).HasMaxLength(100);
        delivery.Property(d => d.EventType).HasMaxLength(100);
        delivery.Property(d => d.Status).HasMaxLength(16);
        delivery.HasIndex(d => new { d.EndpointId, d.EventId }).IsUnique();
        delivery.HasIndex(d => new { d.EndpointId, d.CreatedAt });
        delivery.HasIndex(d => d.CreatedAt);
        delivery.HasIndex(d => d.NextAttemptAt).HasFilter("status = 'pending'");
        delivery.HasOne<WebhookSubscription>().WithMany().HasForeignKey(d => d.EndpointId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class WebhookAttemptConfiguration : IEntityTypeConfiguration<WebhookAttempt>
{
    public void Configure(EntityTypeBuilder<WebhookAttempt> attempt)
    {
        attempt.Property(a => a.Response).HasMaxLength(1024);
        attempt.Property(a => a.Error).HasMaxLength(500);
        attempt.HasIndex(a => new { a.DeliveryId, a.CreatedAt });
        attempt.HasIndex(a => a.CreatedAt);
        attempt.HasOne<WebhookDelivery>().WithMany().HasForeignKey(a => a.DeliveryId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class WebhookSequenceConfiguration : IEntityTypeConfiguration<WebhookSequence>
{
    public void Configure(EntityTypeBuilder<WebhookSequence> sequence)
    {
        sequence.ToTable("webhook_sequences");
        sequence.HasKey(s => s.EndpointId);
        sequence.HasOne<WebhookSubscription>().WithMany().HasForeignKey(s => s.EndpointId).OnDelete(DeleteBehavior.Cascade);
    }
}

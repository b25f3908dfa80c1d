using System.ComponentModel.DataAnnotations;
using Coditect.Server.Platform;

namespace Coditect.Server.Notifications.Webhooks;

/// <summary><c>Webhooks:*</c> settings.</summary>
public sealed class WebhookOptions : IValidatableObject
{
    public const string Section = "Webhooks";

    /// <summary>
    /// Let endpoints reach loopback, private, link-local and metadata addresses, and use plain http (tests and
    /// on-premises installations). Off by default: such URLs are refused when saved and when connecting.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>How long one attempt may take, connection included.</summary>
    [Range(1, 60)]
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// The wait before each retry, comma-separated (<c>5s</c>, <c>5m</c>, <c>2h</c>); each is stretched or shrunk by
    /// up to 10 % at random. After the last one fails, the delivery has failed.
    /// </summary>
    public string RetrySchedule { get; set; } = "5s,5m,30m,2h,5h,10h,10h";

    /// <summary>An endpoint that has failed every attempt for this many days in a row is turned off.</summary>
    [Range(1, 365)]
    public int DisableAfterDays { get; set; } = 5;

    /// <summary>
    /// How long past <see cref="TimeoutSeconds"/> a node's claim on a delivery lasts: its time to record the attempt.
    /// A node that dies mid-attempt leaves claims that lapse after timeout + this; then another node sends again.
    /// </summary>
    [Range(1, 600)]
    public int LeaseMarginSeconds { get; set; } = 30;

    /// <summary>Deliveries one node sends at once.</summary>
    [Range(1, 1000)]
    public int Concurrency { get; set; } = 64;

    /// <summary>How often a node looks for due deliveries when nothing woke it.</summary>
    [Range(50, 60_000)]
    public int PollMilliseconds { get; set; } = 1000;

    /// <summary>
    /// Days the delivery log keeps attempts, and deliveries that are done (succeeded or failed); a cluster job deletes
    /// older ones hourly (<see cref="NotificationRetention"/>).
    /// </summary>
    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 30;

    /// <summary>Run this node's sender (every node does by default).</summary>
    public bool Send { get; set; } = true;

    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);

    /// <summary>How long a claim lasts: the attempt's timeout, then the time to record it.</summary>
    public TimeSpan Lease => Timeout + TimeSpan.FromSeconds(LeaseMarginSeconds);

    public TimeSpan Poll => TimeSpan.FromMilliseconds(PollMilliseconds);

    public IReadOnlyList<TimeSpan> Retries => Durations.Parse(RetrySchedule) ?? [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Durations.Parse(RetrySchedule) is null)
        {
            yield return new ValidationResult("Webhooks:RetrySchedule must be durations like 5s,5m,2h, comma-separated.", [nameof(RetrySchedule)]);
        }
    }
}

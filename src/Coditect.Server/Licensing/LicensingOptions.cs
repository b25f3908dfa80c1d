using System.ComponentModel.DataAnnotations;

namespace Coditect.Server.Licensing;

/// <summary><c>Licensing:*</c> settings.</summary>
public sealed class LicensingOptions
{
    public const string Section = "Licensing";

    /// <summary>How long a lease lives without a heartbeat. Clients are told to heartbeat every third of it.</summary>
    [Range(5, 86_400)]
    public int LeaseTtlSeconds { get; set; } = 360;

    /// <summary>How often the sweeper marks lapsed leases expired (the seat is free at lapse either way).</summary>
    [Range(1, 3600)]
    public int SweepIntervalSeconds { get; set; } = 30;

    /// <summary>The <c>iss</c> claim of lease tokens.</summary>
    [Required]
    public string TokenIssuer { get; set; } = "coditect";

    /// <summary>Redis mode: how long a node trusts its cached copy of a licence on the heartbeat path.</summary>
    [Range(0, 300)]
    public int LicenseCacheSeconds { get; set; } = 60;

    /// <summary>
    /// Redis mode: how often heartbeats served from Redis are written to PostgreSQL. Four small batches a second rather
    /// than one large one: at 4,000 heartbeats/s over 5,000 sessions a 1 s flush took the heartbeats' p99 from 15 to
    /// 25-30 ms (docs/performance.md, "Heartbeats with Redis").
    /// </summary>
    [Range(50, 10_000)]
    public int HeartbeatFlushMilliseconds { get; set; } = 250;

    /// <summary>
    /// The longest a licence file lives (it also ends with its licence), and an activation token of a perpetual licence.
    /// </summary>
    [Range(1, 3650)]
    public int LicenseFileMaxDays { get; set; } = 365;

    /// <summary>How long a queue ticket lives without a poll of its holder.</summary>
    [Range(5, 3600)]
    public int QueueTicketTtlSeconds { get; set; } = 60;

    /// <summary>How long a seat offered to the head of a queue is held for that ticket alone.</summary>
    [Range(1, 3600)]
    public int QueueClaimSeconds { get; set; } = 30;

    public TimeSpan LeaseTtl => TimeSpan.FromSeconds(LeaseTtlSeconds);
    public int HeartbeatIntervalSeconds => Math.Max(1, LeaseTtlSeconds / 3);
}

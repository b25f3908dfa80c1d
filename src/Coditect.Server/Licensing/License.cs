using Coditect.Contracts.Licensing;
using Coditect.Server.Data;

namespace Coditect.Server.Licensing;

public enum LicenseState
{
    Active,
    Suspended,
}

/// <summary>Floating: any machine leases a seat. Node-locked: machines are activated, up to <see cref="License.SeatsTotal"/>.</summary>
public enum LicenseType
{
    Floating,
    NodeLocked,
}

/// <summary>
/// A licence: <see cref="SeatsTotal"/> floating seats until <see cref="ExpiresAt"/> (null = perpetual). The key is
/// stored only as its SHA-256 (see <c>LicenseKeys</c>); <see cref="KeyPreview"/> identifies it in lists.
/// </summary>
[Audited]
public sealed class License : Entity, ITenantOwned
{
    public const int MaxSeats = 1_000_000;

    public Guid TenantId { get; set; }
    public required string Name { get; set; }

    [NotAudited]
    public required string KeyHash { get; set; }

    public required string KeyPreview { get; set; }
    public int SeatsTotal { get; set; }
    public DateTime? ExpiresAt { get; set; }
    public LicenseState State { get; set; }

    /// <summary>Floating (leases) or node-locked (activations, <see cref="SeatsTotal"/> is the machine cap).</summary>
    public LicenseType Type { get; set; }
    /// <summary>How long a client may borrow a seat for offline work, in hours; 0: borrowing is off.</summary>
    public int BorrowMaxHours { get; set; }

    /// <summary>JSON array of feature names.</summary>
    public string Entitlements { get; set; } = "[]";

    /// <summary>JSON object, the vendor's own data.</summary>
    public string Metadata { get; set; } = "{}";

    /// <summary>Who owns the licence when not its organization: <c>billing</c> for the product licence a subscription manages.</summary>
    public string? ManagedBy { get; set; }

    public string TypeName => Type == LicenseType.NodeLocked ? LicenseTypes.NodeLocked : LicenseTypes.Floating;

    public bool IsExpired(DateTime now) => ExpiresAt is { } expiry && expiry <= now;

    /// <summary>What clients see: suspension wins over expiry.</summary>
    public string StatusAt(DateTime now) =>
        State == LicenseState.Suspended ? LicenseStatuses.Suspended
        : IsExpired(now) ? LicenseStatuses.Expired
        : LicenseStatuses.Active;
}

public enum SessionState
{
    Active,
    Released,
    Expired,
    Kicked,
}

/// <summary>
/// One lease of one seat by one machine. The seat is held while <see cref="Status"/> is active AND
/// <see cref="ExpiresAt"/> is in the future; a lapsed lease frees its seat at once, before the sweeper marks it
/// expired, and is never revived. Its lifecycle is counted in <see cref="LicenseUsage"/>; admin kicks are audited
/// explicitly.
/// </summary>
[NotAudited]
public sealed class LicenseSession : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid LicenseId { get; set; }
    public required string HardwareId { get; set; }
    public string? UserEmail { get; set; }
    public string? ClientHostname { get; set; }
    public string? ClientAppVersion { get; set; }
    public string? ClientOs { get; set; }
    public SessionState Status { get; set; }
    public DateTime StartedAt { get; set; }
    public DateTime LastHeartbeatAt { get; set; }
    public long HeartbeatCount { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? EndedAt { get; set; }

    /// <summary>
    /// Set on a borrowed seat (offline checkout): the lease's expiry, held without heartbeats until then. A heartbeat
    /// never shortens it; release returns it early.
    /// </summary>
    public DateTime? BorrowedUntil { get; set; }

    public bool HoldsSeat(DateTime now) => Status == SessionState.Active && ExpiresAt > now;
}

/// <summary>
/// Hourly roll-up of a licence's seat events, upserted in the same transaction as each event so the usage charts
/// never scan sessions. <see cref="LastSeatsUsed"/> is the count after the hour's latest event.
/// </summary>
[NotAudited]
public sealed class LicenseUsage : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid LicenseId { get; set; }
    public DateTime HourStart { get; set; }
    public int Acquisitions { get; set; }
    public int Releases { get; set; }
    public int Expiries { get; set; }
    public int Kicks { get; set; }
    public int Denials { get; set; }
    public int PeakSeatsUsed { get; set; }
    public int LastSeatsUsed { get; set; }
    /// <summary>Plain acquires refused because machines were waiting in the licence's queue (beside <see cref="Denials"/>).</summary>
    public int QueueDenials { get; set; }
    /// <summary>Seats claimed from the queue, and the sum of their waits (ticket taken to seat claimed).</summary>
    public int QueueGrants { get; set; }
    public long QueueWaitSeconds { get; set; }
}

using System.Text.Json;

namespace Coditect.Contracts.Licensing;

/// <summary>Licence status on the wire: <c>active</c>, <c>suspended</c> or <c>expired</c>.</summary>
public static class LicenseStatuses
{
    public const string Active = "active";
    public const string Suspended = "suspended";
    public const string Expired = "expired";
}

/// <summary>Session (lease) status on the wire.</summary>
public static class SessionStatuses
{
    public const string Active = "active";
    public const string Released = "released";
    public const string Expired = "expired";
    public const string Kicked = "kicked";
}

/// <summary>Licence type on the wire: <c>floating</c> (seats leased by any machine) or <c>node_locked</c> (activated machines).</summary>
public static class LicenseTypes
{
    public const string Floating = "floating";
    public const string NodeLocked = "node_locked";
}

/// <summary>A new licence. <c>Type</c> defaults to <c>floating</c>; for <c>node_locked</c>, <c>SeatsTotal</c> is the machine cap.</summary>
public sealed record CreateLicenseRequest(
    string? Name,
    int? SeatsTotal,
    DateTime? ExpiresAt = null,
    IReadOnlyList<string>? Entitlements = null,
    Dictionary<string, JsonElement>? Metadata = null,
    string? Type = null,
    int? BorrowMaxHours = null);

/// <summary>
/// A licence. <c>LicenseKey</c> is the full key, present only in the answer to its creation; afterwards
/// <c>KeyPreview</c> (prefix and last four) identifies it. <c>Type</c> is one of <see cref="LicenseTypes"/>; on a
/// node-locked licence <c>SeatsTotal</c> is the machine cap and <c>SeatsUsed</c> the machines activated.
/// <c>QueueLength</c> is the machines waiting in the licence's seat queue (tickets waiting or offered), in the answers to
/// reading a licence or a page of them; 0 elsewhere.
/// </summary>
public sealed record LicenseResponse(
    Guid Id,
    string Name,
    string? LicenseKey,
    string KeyPreview,
    int SeatsTotal,
    int SeatsUsed,
    DateTime? ExpiresAt,
    string Status,
    IReadOnlyList<string> Entitlements,
    Dictionary<string, JsonElement> Metadata,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    string? ManagedBy = null,
    string Type = LicenseTypes.Floating,
    int BorrowMaxHours = 0,
    int QueueLength = 0);

/// <summary>A licence's <c>managed_by</c> on the wire: who owns a licence its organization may not change.</summary>
public static class LicenseOwners
{
    /// <summary>The operator's product licence, made and kept in step by the organization's subscription.</summary>
    public const string Billing = "billing";
}

public sealed record RenewLicenseRequest(DateTime? ExpiresAt);

public sealed record ClientInfo(string? Hostname = null, string? AppVersion = null, string? Os = null);

public sealed record SessionResponse(
    Guid Id,
    Guid LicenseId,
    string HardwareId,
    string? UserEmail,
    ClientInfo? Client,
    string Status,
    DateTime StartedAt,
    DateTime LastHeartbeatAt,
    long HeartbeatCount,
    DateTime ExpiresAt,
    DateTime? EndedAt,
    DateTime? BorrowedUntil = null);

/// <summary>
/// <c>Denials</c>: acquires turned away (every seat taken). <c>QueueDenials</c>: plain acquires refused because machines
/// waited in the licence's queue. <c>QueueGrants</c>: seats claimed from the queue, which waited <c>QueueWaitSeconds</c>
/// in all (ticket taken to seat claimed).
/// </summary>
public sealed record UsageBucket(
    DateTime Start, int PeakSeatsUsed, int Acquisitions, int Denials, int QueueDenials = 0, int QueueGrants = 0, long QueueWaitSeconds = 0);

public sealed record UsageResponse(Guid LicenseId, DateTime From, DateTime To, string Bucket, IReadOnlyList<UsageBucket> Buckets);

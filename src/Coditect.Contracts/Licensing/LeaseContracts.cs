namespace Coditect.Contracts.Licensing;

// The lease protocol, called by licensed applications with the licence key (docs/licensing.md).

/// <summary>
/// <c>Wait</c>: when every seat is taken, join the licence's queue (202 with a <see cref="QueueTicketResponse"/>) instead
/// of 409. <c>Ticket</c>: claim the seat offered to that ticket (same licence key and hardware id as when it was taken).
/// </summary>
public sealed record AcquireRequest(
    string? LicenseKey, string? HardwareId, string? UserEmail = null, ClientInfo? Client = null, bool? Wait = null, string? Ticket = null);

/// <summary>
/// A place in a licence's seat queue. <c>Ticket</c> is the capability (only its hash is stored: keep it). <c>State</c> is
/// one of <see cref="QueueStates"/>; <c>Position</c> is 1 at the head and 0 once the ticket is no longer waiting;
/// <c>OfferExpiresAt</c> is set while a seat is offered to it. Poll before <c>ExpiresAt</c> or the ticket lapses.
/// </summary>
public sealed record QueueTicketResponse(
    string Ticket,
    string State,
    int Position,
    int EstimatedWaitSeconds,
    DateTime ExpiresAt,
    DateTime? OfferExpiresAt = null);

public static class QueueStates
{
    public const string Waiting = "waiting";
    public const string Offered = "offered";
    public const string Claimed = "claimed";
    public const string Lapsed = "lapsed";
}

/// <summary>
/// A seat. Heartbeat every <c>HeartbeatIntervalSeconds</c>; the lease lapses at <c>ExpiresAt</c> without one. A borrowed
/// seat (<c>BorrowedUntil</c> set, equal to <c>ExpiresAt</c>) needs no heartbeat until then.
/// </summary>
public sealed record AcquireResponse(
    Guid SessionId,
    string LeaseToken,
    DateTime ExpiresAt,
    int HeartbeatIntervalSeconds,
    int SeatsTotal,
    int SeatsUsed,
    DateTime? BorrowedUntil = null);

/// <summary>
/// Borrow a seat for offline work: a lease of <c>Hours</c> (1 to the licence's <c>borrow_max_hours</c>), never beyond
/// the licence's expiry, held without heartbeats. Give it back early with release.
/// </summary>
public sealed record BorrowRequest(string? LicenseKey, string? HardwareId, int? Hours, string? UserEmail = null, ClientInfo? Client = null);

public sealed record HeartbeatRequest(string? LicenseKey, Guid? SessionId);

public sealed record HeartbeatResponse(Guid SessionId, DateTime ExpiresAt, string LeaseToken, DateTime? BorrowedUntil = null);

public sealed record ReleaseRequest(string? LicenseKey, Guid? SessionId);

public sealed record ValidateRequest(string? LicenseKey, string? HardwareId = null);

/// <summary><c>Code</c> is one of <see cref="ValidationCodes"/>; <c>License</c> is absent for <c>NOT_FOUND</c>.</summary>
public sealed record ValidateResponse(bool Valid, string Code, ValidatedLicense? License);

public sealed record ValidatedLicense(Guid Id, int SeatsTotal, int SeatsUsed, DateTime? ExpiresAt, string Status, IReadOnlyList<string> Entitlements);

public static class ValidationCodes
{
    public const string Valid = "VALID";
    public const string NotFound = "NOT_FOUND";
    public const string OrganizationSuspended = "ORGANIZATION_SUSPENDED";
    public const string Suspended = "SUSPENDED";
    public const string Expired = "EXPIRED";
    public const string HeartbeatDead = "HEARTBEAT_DEAD";
    public const string NoSession = "NO_SESSION";

    /// <summary>A node-locked licence that has not activated the machine asked about.</summary>
    public const string NotActivated = "NOT_ACTIVATED";
}

using Coditect.Server.Data;

namespace Coditect.Server.Licensing.Ledger;

/// <summary>
/// The seat gate and session record behind the lease protocol. Every implementation guarantees: at most
/// <c>seats_total</c> sessions hold a seat at any instant, whatever the concurrency (no check-then-insert race);
/// one active session per licence and hardware id; a lapsed lease holds no seat and is never revived.
/// Implementations: <see cref="PostgresSeatLedger"/> (one round trip per call), <see cref="SqliteSeatLedger"/>
/// (the embedded default) and <see cref="RedisSeatLedger"/> (PostgreSQL's gate with heartbeats served from Redis).
/// Times are the server's clock, passed in by the caller.
/// </summary>
public interface ISeatLedger
{
    Task<AcquireResult> AcquireAsync(AcquireCommand c, CancellationToken ct);

    Task<LeaseResult> HeartbeatAsync(string keyHash, Guid sessionId, DateTime now, DateTime newExpiry, CancellationToken ct);

    Task<LeaseResult> ReleaseAsync(string keyHash, Guid sessionId, DateTime now, CancellationToken ct);

    Task<ValidateResult> ValidateAsync(string keyHash, string? hardwareId, DateTime now, CancellationToken ct);

    /// <summary>Marks lapsed leases expired and counts them in usage; safe to run on several nodes at once.</summary>
    Task<SweepResult> SweepAsync(DateTime now, CancellationToken ct);

    /// <summary>
    /// An admin ends a session, in the caller's transaction (so the audit event and the outbox event commit with it):
    /// its seat is free at once, counted in the hour's usage as a kick. Null when no such session is visible.
    /// </summary>
    Task<KickResult?> KickAsync(CoditectDbContext db, Guid sessionId, DateTime now, CancellationToken ct) =>
        LedgerKick.KickAsync(db, sessionId, now, ct);

    /// <summary>
    /// Told on every node after sessions were ended through the database (a kick), so a cache in front of the database
    /// drops them. The database ledgers need nothing.
    /// </summary>
    Task ForgetAsync(Guid licenseId, IReadOnlyCollection<Guid> sessionIds, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Told on every node after a licence changed (suspended, renewed, deleted...), so its cached copy is dropped.</summary>
    Task LicenseChangedAsync(Guid licenseId) => Task.CompletedTask;

    /// <summary>
    /// Told on every node after an organization was suspended or unsuspended, so cached copies of its licences (which
    /// carry <see cref="LicenseSnapshot.OrganizationSuspended"/>) are dropped.
    /// </summary>
    Task OrganizationChangedAsync(Guid organizationId) => Task.CompletedTask;

    /// <summary>Told once in the cluster after a licence was deleted (its sessions went with it), so shared state about it goes.</summary>
    Task LicenseDeletedAsync(Guid licenseId) => LicenseChangedAsync(licenseId);
}

/// <summary>What a sweep marked: how many lapsed sessions, and of which licences (their live views changed).</summary>
public sealed record SweepResult(int Count, IReadOnlyCollection<Guid> Licenses);

/// <summary>Heartbeats of one session served by Redis since the last write to PostgreSQL.</summary>
public sealed record PendingHeartbeat(Guid SessionId, DateTime ExpiresAt, DateTime FirstAt, DateTime At, int Count);

public sealed record AcquireCommand(
    string KeyHash,
    string HardwareId,
    string? UserEmail,
    string? Hostname,
    string? AppVersion,
    string? Os,
    Guid NewSessionId,
    DateTime Now,
    DateTime Expiry,
    int BorrowHours = 0)
{
    /// <summary>
    /// A borrow (offline checkout) of <see cref="BorrowHours"/> hours: <see cref="Expiry"/> is now plus those hours, cut
    /// to the licence's expiry by the ledger, and the session's <c>borrowed_until</c> is that expiry. The ledger refuses
    /// it when the licence does not allow borrowing that long (checked under the same lock as the seat).
    /// </summary>
    public bool IsBorrow => BorrowHours > 0;
}

/// <summary>
/// What the protocol needs to know of a licence. <see cref="OrganizationSuspended"/> is its organization's state, read
/// with the licence (the same statement, no extra round trip) and cached with it.
/// </summary>
public sealed record LicenseSnapshot(
    Guid Id,
    Guid TenantId,
    int SeatsTotal,
    LicenseState State,
    DateTime? ExpiresAt,
    IReadOnlyList<string> Entitlements,
    bool OrganizationSuspended = false,
    LicenseType Type = LicenseType.Floating);

public enum AcquireOutcome
{
    Acquired,
    Renewed,
    NoSeats,
    LicenseNotFound,
    OrganizationSuspended,
    LicenseSuspended,
    LicenseExpired,
    LicenseNodeLocked,

    /// <summary>A borrow on a licence whose <c>borrow_max_hours</c> is 0.</summary>
    BorrowingNotAllowed,

    /// <summary>A borrow for more hours than the licence's <c>borrow_max_hours</c> (in <see cref="AcquireResult.BorrowMaxHours"/>).</summary>
    BorrowTooLong,
}

/// <summary><see cref="BorrowedUntil"/> is set when the session's seat is borrowed (then it equals <see cref="ExpiresAt"/>).</summary>
public sealed record AcquireResult(
    AcquireOutcome Outcome,
    LicenseSnapshot? License,
    int SeatsUsed,
    Guid? SessionId,
    DateTime? ExpiresAt,
    DateTime? BorrowedUntil = null,
    int BorrowMaxHours = 0);

public enum LeaseOutcome
{
    Ok,
    LicenseNotFound,
    OrganizationSuspended,
    LicenseSuspended,
    LicenseExpired,
    LicenseNodeLocked,
    SessionNotFound,
    SessionExpired,
    SessionReleased,
}

/// <summary><see cref="BorrowedUntil"/> is set for a borrowed seat, whose heartbeat keeps its longer expiry.</summary>
public sealed record LeaseResult(LeaseOutcome Outcome, LicenseSnapshot? License, string? HardwareId, DateTime? ExpiresAt, DateTime? BorrowedUntil = null);

public enum HardwareState
{
    NotAsked,
    Live,
    Lapsed,
    None,
}

public sealed record ValidateResult(LicenseSnapshot? License, int SeatsUsed, HardwareState Hardware);

internal static class LedgerRules
{
    /// <summary>
    /// The licence-level answer before any seat is considered. A suspended organization wins over the licence's own
    /// state: lifting the licence's suspension would not make it usable.
    /// </summary>
    public static AcquireOutcome? Refusal(LicenseSnapshot? license, DateTime now) => license switch
    {
        null => AcquireOutcome.LicenseNotFound,
        { OrganizationSuspended: true } => AcquireOutcome.OrganizationSuspended,
        { State: LicenseState.Suspended } => AcquireOutcome.LicenseSuspended,
        { ExpiresAt: { } expiry } when expiry <= now => AcquireOutcome.LicenseExpired,
        // Node-locked licences activate machines (Licensing/Machines); they never lease a seat.
        { Type: LicenseType.NodeLocked } => AcquireOutcome.LicenseNodeLocked,
        _ => null,
    };

    public static LeaseOutcome? LeaseRefusal(LicenseSnapshot? license, DateTime now) => Refusal(license, now) switch
    {
        AcquireOutcome.LicenseNotFound => LeaseOutcome.LicenseNotFound,
        AcquireOutcome.OrganizationSuspended => LeaseOutcome.OrganizationSuspended,
        AcquireOutcome.LicenseSuspended => LeaseOutcome.LicenseSuspended,
        AcquireOutcome.LicenseExpired => LeaseOutcome.LicenseExpired,
        AcquireOutcome.LicenseNodeLocked => LeaseOutcome.LicenseNodeLocked,
        _ => null,
    };

    /// <summary>Why a session that was not renewed could not be: released or kicked, or lapsed.</summary>
    public static LeaseOutcome SessionRefusal(SessionState state) =>
        state is SessionState.Released or SessionState.Kicked ? LeaseOutcome.SessionReleased : LeaseOutcome.SessionExpired;

    /// <summary>
    /// Why a borrow is refused by a licence allowing <paramref name="maxHours"/> hours (0: off), or null for a plain
    /// acquire or an allowed borrow.
    /// </summary>
    public static AcquireOutcome? BorrowRefusal(AcquireCommand c, int maxHours) =>
        !c.IsBorrow ? null
        : maxHours <= 0 ? AcquireOutcome.BorrowingNotAllowed
        : c.BorrowHours > maxHours ? AcquireOutcome.BorrowTooLong
        : null;

    /// <summary>A borrow's expiry: the hours asked, but never beyond the licence's expiry.</summary>
    public static DateTime BorrowExpiry(DateTime asked, DateTime? licenseExpiry) =>
        licenseExpiry is { } end && end < asked ? end : asked;

    public static DateTime HourOf(DateTime time) => new(time.Year, time.Month, time.Day, time.Hour, 0, 0, DateTimeKind.Utc);

    public static IReadOnlyList<string> ParseEntitlements(string json) =>
        System.Text.Json.JsonSerializer.Deserialize<List<string>>(json) ?? [];
}

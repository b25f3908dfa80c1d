namespace Coditect.Client;

/// <summary>Where a <see cref="Lease"/> stands.</summary>
public enum LeaseState
{
    /// <summary>The last heartbeat succeeded; the seat is held.</summary>
    Active,

    /// <summary>
    /// Heartbeats are failing for a reason that may pass (no network, server down, 503). The seat is still held until
    /// <see cref="Lease.ExpiresAt"/>; the lease keeps retrying with back-off.
    /// </summary>
    Renewing,

    /// <summary>The seat is gone: the server ended the session, the licence became unusable, or the lease ran out. Final.</summary>
    Lost,

    /// <summary>The application gave the seat back (<see cref="Lease.ReleaseAsync"/> or <see cref="Lease.DisposeAsync"/>). Final.</summary>
    Released,
}

/// <summary>Why a lease was lost.</summary>
public enum LeaseLossReason
{
    /// <summary>No heartbeat succeeded before the lease's own expiry (a long outage).</summary>
    LocalExpiry,

    /// <summary>The server let the lease lapse or reclaimed it (410 <c>SESSION_EXPIRED</c>).</summary>
    SessionExpired,

    /// <summary>The session was released elsewhere or kicked by an administrator (410 <c>SESSION_RELEASED</c>).</summary>
    SessionReleased,

    /// <summary>The server no longer knows the session for this key (404 <c>SESSION_NOT_FOUND</c>).</summary>
    SessionNotFound,

    /// <summary>The licence was suspended (403 <c>LICENSE_SUSPENDED</c>).</summary>
    LicenseSuspended,

    /// <summary>The licence expired (403 <c>LICENSE_EXPIRED</c>).</summary>
    LicenseExpired,

    /// <summary>The licence was deleted (404 <c>LICENSE_NOT_FOUND</c>).</summary>
    LicenseNotFound,

    /// <summary>The platform suspended the vendor's whole organization (403 <c>ORGANIZATION_SUSPENDED</c>).</summary>
    OrganizationSuspended,
}

/// <summary>Data of the <see cref="Lease.Lost"/> event.</summary>
public sealed class LeaseLostEventArgs : EventArgs
{
    internal LeaseLostEventArgs(LeaseLossReason reason, CoditectException? error)
    {
        Reason = reason;
        Error = error;
    }

    /// <summary>Why the lease was lost.</summary>
    public LeaseLossReason Reason { get; }

    /// <summary>The server's answer that ended the lease; null for <see cref="LeaseLossReason.LocalExpiry"/>.</summary>
    public CoditectException? Error { get; }
}

/// <summary>Data of the <see cref="Lease.StateChanged"/> event.</summary>
public sealed class LeaseStateChangedEventArgs : EventArgs
{
    internal LeaseStateChangedEventArgs(LeaseState previous, LeaseState current)
    {
        Previous = previous;
        Current = current;
    }

    /// <summary>The state before the change.</summary>
    public LeaseState Previous { get; }

    /// <summary>The state now.</summary>
    public LeaseState Current { get; }
}

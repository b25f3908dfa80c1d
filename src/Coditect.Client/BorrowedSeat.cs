using Coditect.Contracts.Licensing;

namespace Coditect.Client;

/// <summary>
/// A seat borrowed for offline work (<see cref="LicenseClient.BorrowAsync(string, int, AcquireOptions?, CancellationToken)"/>):
/// it holds its seat on the server without heartbeats until <see cref="BorrowedUntil"/>, and its <see cref="Token"/>
/// verifies offline (<see cref="LeaseToken.Verify(string, JsonWebKeySet, string, DateTimeOffset, Guid?)"/>) until then. Nothing runs in the background: keep the token (on
/// disk, say) and give the seat back early with <see cref="LicenseClient.ReturnAsync(BorrowedSeat, CancellationToken)"/>.
/// An administrator may revoke it, but the server can tell the machine only at its next contact.
/// </summary>
public sealed class BorrowedSeat
{
    internal BorrowedSeat(string hardwareId, AcquireResponse answer)
    {
        HardwareId = hardwareId;
        SessionId = answer.SessionId;
        Token = answer.LeaseToken;
        ExpiresAt = new DateTimeOffset(DateTime.SpecifyKind(answer.ExpiresAt, DateTimeKind.Utc));
        BorrowedUntil = answer.BorrowedUntil is { } until ? new DateTimeOffset(DateTime.SpecifyKind(until, DateTimeKind.Utc)) : ExpiresAt;
        SeatsTotal = answer.SeatsTotal;
        SeatsUsed = answer.SeatsUsed;
    }

    /// <summary>The server's id for this seat (give it back with release).</summary>
    public Guid SessionId { get; }

    /// <summary>The machine the seat is borrowed for.</summary>
    public string HardwareId { get; }

    /// <summary>The signed lease token (compact JWS) with its <c>borrowed_until</c> claim.</summary>
    public string Token { get; }

    /// <summary>When the borrow ends and the seat returns to the licence by itself (the server's time, as UTC).</summary>
    public DateTimeOffset BorrowedUntil { get; }

    /// <summary>The lease's expiry: the same as <see cref="BorrowedUntil"/>.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>The licence's seats when the seat was borrowed.</summary>
    public int SeatsTotal { get; }

    /// <summary>The seats held (this one included) when the seat was borrowed.</summary>
    public int SeatsUsed { get; }
}

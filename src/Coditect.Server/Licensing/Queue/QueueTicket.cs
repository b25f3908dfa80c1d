using System.Linq.Expressions;
using Coditect.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Coditect.Server.Licensing.Queue;

public enum QueueTicketState
{
    Waiting,
    Offered,
    Claimed,
    Lapsed,
}

/// <summary>
/// A machine waiting for a seat of a floating licence (table <c>license_queue_tickets</c>, migration 0019). Order is
/// <see cref="Seq"/>, first come first served per licence. Only the SHA-256 of the 128-bit ticket is stored. While
/// <see cref="QueueTicketState.Offered"/>, the seat is held for it by a session of its machine that lives until
/// <see cref="OfferExpiresAt"/> (Licensing/README.md, "Seat queue"). High-churn rows, like sessions: not audited.
/// </summary>
[NotAudited]
public sealed class QueueTicket : Entity, ITenantOwned
{
    /// <summary>
    /// The tickets that hold a place in their licence's queue at <paramref name="now"/>: waiting and not lapsed, or offered
    /// within the claim window. One definition for the gate, the queue's length and the licence's <c>queue_length</c>.
    /// </summary>
    public static Expression<Func<QueueTicket, bool>> OpenAt(DateTime now) => t =>
        (t.State == QueueTicketState.Waiting && t.ExpiresAt > now) || (t.State == QueueTicketState.Offered && t.OfferExpiresAt > now);

    public Guid TenantId { get; set; }
    public Guid LicenseId { get; set; }
    /// <summary>The ticket's number in its licence's queue (1, 2, ...): first come, first served.</summary>
    public long Seq { get; set; }
    [NotAudited]
    public required string TicketHash { get; set; }
    public required string HardwareId { get; set; }
    public string? UserEmail { get; set; }
    public string? ClientHostname { get; set; }
    public string? ClientAppVersion { get; set; }
    public string? ClientOs { get; set; }
    public QueueTicketState State { get; set; }
    /// <summary>Lapses at this time without contact (<c>Licensing:QueueTicketTtlSeconds</c> after the last poll).</summary>
    public DateTime ExpiresAt { get; set; }
    public DateTime? OfferedAt { get; set; }
    public DateTime? OfferExpiresAt { get; set; }
    /// <summary>The session that holds the offered seat (claimed: the lease the holder got).</summary>
    public Guid? SessionId { get; set; }
    public DateTime? EndedAt { get; set; }

    public bool IsOpen => State is QueueTicketState.Waiting or QueueTicketState.Offered;
}

internal sealed class QueueTicketConfiguration : IEntityTypeConfiguration<QueueTicket>
{
    public void Configure(EntityTypeBuilder<QueueTicket> ticket)
    {
        ticket.ToTable("license_queue_tickets");
        ticket.Property(t => t.TicketHash).HasMaxLength(64);
        ticket.Property(t => t.HardwareId).HasMaxLength(256);
        ticket.Property(t => t.UserEmail).HasMaxLength(254);
        ticket.Property(t => t.ClientHostname).HasMaxLength(200);
        ticket.Property(t => t.ClientAppVersion).HasMaxLength(100);
        ticket.Property(t => t.ClientOs).HasMaxLength(100);
        ticket.Property(t => t.State).HasConversion(s => s.ToString().ToLowerInvariant(), s => Enum.Parse<QueueTicketState>(s, true)).HasMaxLength(16);
        ticket.HasIndex(t => t.TicketHash).IsUnique().HasDatabaseName("ux_license_queue_tickets_ticket_hash");
        // The queue of a licence in order (and its next number).
        ticket.HasIndex(t => new { t.LicenseId, t.Seq }).IsUnique().HasDatabaseName("ux_license_queue_tickets_license_id_seq");
        // The offer job's scan: open tickets only.
        ticket.HasIndex(t => t.State).HasFilter("state IN ('waiting', 'offered')").HasDatabaseName("ix_license_queue_tickets_open");
        ticket.HasIndex(t => new { t.TenantId, t.CreatedAt });
        ticket.HasOne<License>().WithMany().HasForeignKey(t => t.LicenseId).OnDelete(DeleteBehavior.Cascade);
    }
}

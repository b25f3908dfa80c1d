using Coditect.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Coditect.Server.Platform.Outbox;

/// <summary>
/// An event raised by a change and stored in the same transaction. <see cref="Id"/> orders every event of the
/// cluster (read by each node's <see cref="OutboxNodeReader"/>); <see cref="Seq"/> orders an organization's events
/// in commit order (read by the <see cref="OutboxDispatcher"/>). Not audited: the audit trail records the change itself.
/// </summary>
[NotAudited]
public sealed class OutboxEvent : ITenantOwned
{
    public long Id { get; set; }
    public Guid TenantId { get; set; }
    public long Seq { get; set; }
    public string Type { get; set; } = "";
    public string Data { get; set; } = "{}";
    public DateTime CreatedAt { get; set; }
}

/// <summary>
/// One row per organization that ever raised an event: the last number given out (<see cref="NextSeq"/>, taken with
/// a row lock by the raising transaction, so numbers follow commit order) and how far the cluster dispatcher got.
/// </summary>
[NotAudited]
public sealed class OutboxSequence : ITenantOwned
{
    public Guid TenantId { get; set; }
    public long NextSeq { get; set; }
    public long DispatchedSeq { get; set; }
    public int Attempts { get; set; }
    public DateTime? RetryAt { get; set; }
    public string? LastError { get; set; }
}

internal sealed class OutboxEventConfiguration : IEntityTypeConfiguration<OutboxEvent>
{
    public void Configure(EntityTypeBuilder<OutboxEvent> outbox)
    {
        outbox.ToTable("outbox");
        outbox.Property(e => e.Id).ValueGeneratedOnAdd();
        outbox.Property(e => e.Type).HasMaxLength(100);
        outbox.HasIndex(e => new { e.TenantId, e.Seq }).IsUnique();
        outbox.HasIndex(e => e.CreatedAt);
    }
}

internal sealed class OutboxSequenceConfiguration : IEntityTypeConfiguration<OutboxSequence>
{
    public void Configure(EntityTypeBuilder<OutboxSequence> sequence)
    {
        sequence.ToTable("outbox_sequences");
        sequence.HasKey(s => s.TenantId);
        sequence.Property(s => s.LastError).HasMaxLength(1000);
    }
}

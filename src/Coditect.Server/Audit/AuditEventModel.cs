using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Coditect.Server.Audit;

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> audit)
    {
        audit.Property(a => a.ActorType).HasMaxLength(16);
        audit.Property(a => a.Action).HasMaxLength(100);
        audit.Property(a => a.ObjectType).HasMaxLength(64);
        audit.Property(a => a.ObjectId).HasMaxLength(64);
        audit.Property(a => a.RequestId).HasMaxLength(64);
        audit.HasIndex(a => new { a.TenantId, a.OccurredAt });
    }
}

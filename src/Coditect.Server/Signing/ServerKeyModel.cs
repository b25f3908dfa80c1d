using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Coditect.Server.Signing;

internal sealed class ServerKeyConfiguration : IEntityTypeConfiguration<ServerKey>
{
    public void Configure(EntityTypeBuilder<ServerKey> key)
    {
        key.Property(k => k.Purpose).HasMaxLength(32);
        key.Property(k => k.Algorithm).HasMaxLength(16);
        key.HasIndex(k => new { k.Purpose, k.CreatedAt });
        key.HasIndex(k => new { k.OrganizationId, k.CreatedAt });
        // One current key per organization and purpose: two nodes making an organization's first key cannot both win.
        key.HasIndex(k => new { k.Purpose, k.OrganizationId }).IsUnique().HasFilter("organization_id IS NOT NULL AND retired_at IS NULL");
        key.HasOne<Organizations.Organization>().WithMany().HasForeignKey(k => k.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

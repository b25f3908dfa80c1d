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
    }
}

using Coditect.Server.Organizations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Coditect.Server.Licensing;

internal sealed class LicenseConfiguration : IEntityTypeConfiguration<License>
{
    public void Configure(EntityTypeBuilder<License> license)
    {
        license.Property(l => l.Name).HasMaxLength(200);
        license.Property(l => l.KeyHash).HasMaxLength(64);
        license.Property(l => l.KeyPreview).HasMaxLength(32);
        license.Property(l => l.ManagedBy).HasMaxLength(16);
        license.Property(l => l.State).HasConversion(s => s == LicenseState.Active ? "active" : "suspended",
            s => s == "active" ? LicenseState.Active : LicenseState.Suspended).HasMaxLength(16);
        license.Property(l => l.Type).HasConversion(t => t == LicenseType.NodeLocked ? "node_locked" : "floating",
            t => t == "node_locked" ? LicenseType.NodeLocked : LicenseType.Floating).HasMaxLength(16);
        license.HasIndex(l => l.KeyHash).IsUnique();
        license.HasIndex(l => new { l.TenantId, l.CreatedAt });
        license.HasOne<Organization>().WithMany().HasForeignKey(l => l.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class LicenseSessionConfiguration : IEntityTypeConfiguration<LicenseSession>
{
    public void Configure(EntityTypeBuilder<LicenseSession> session)
    {
        session.Property(s => s.HardwareId).HasMaxLength(256);
        session.Property(s => s.UserEmail).HasMaxLength(254);
        session.Property(s => s.ClientHostname).HasMaxLength(200);
        session.Property(s => s.ClientAppVersion).HasMaxLength(100);
        session.Property(s => s.ClientOs).HasMaxLength(100);
        session.Property(s => s.Status).HasConversion(s => s.ToString().ToLowerInvariant(), s => Enum.Parse<SessionState>(s, true)).HasMaxLength(16);
        // At most one active session per machine and licence; a lapsed one is marked expired before a new one starts.
        session.HasIndex(s => new { s.LicenseId, s.HardwareId }).IsUnique().HasFilter("status = 'active'").HasDatabaseName("ux_license_sessions_active_hardware");
        // Live-seat counting and the sweeper read this.
        session.HasIndex(s => new { s.LicenseId, s.ExpiresAt }).HasFilter("status = 'active'").HasDatabaseName("ix_license_sessions_live");
        session.HasIndex(s => s.ExpiresAt).HasFilter("status = 'active'").HasDatabaseName("ix_license_sessions_sweep");
        session.HasIndex(s => new { s.LicenseId, s.StartedAt });
        // Acquire starts a seat no earlier than the latest end recorded on its licence (the ledger's README, invariant 11).
        session.HasIndex(s => new { s.LicenseId, s.EndedAt }).HasFilter("ended_at IS NOT NULL").HasDatabaseName("ix_license_sessions_ended");
        session.HasOne<License>().WithMany().HasForeignKey(s => s.LicenseId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class LicenseUsageConfiguration : IEntityTypeConfiguration<LicenseUsage>
{
    public void Configure(EntityTypeBuilder<LicenseUsage> usage)
    {
        usage.ToTable("license_usage");
        usage.HasKey(u => new { u.LicenseId, u.HourStart });
        // The seat alerts job reads the last two hours of every licence (Notifications/Alerts/SeatAlerts.cs).
        usage.HasIndex(u => u.HourStart).HasDatabaseName("ix_license_usage_hour_start");
        usage.HasOne<License>().WithMany().HasForeignKey(u => u.LicenseId).OnDelete(DeleteBehavior.Cascade);
    }
}

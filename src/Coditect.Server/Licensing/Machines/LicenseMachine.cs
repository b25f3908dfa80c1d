using Coditect.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Coditect.Server.Licensing.Machines;

/// <summary>
/// A machine activated on a node-locked licence: it counts against <see cref="License.SeatsTotal"/> until it is
/// deactivated (by the client or an admin), which deletes the row. Activations and deactivations are audited explicitly
/// (<c>machine.activated</c>, <c>machine.deactivated</c>), with the same names on the outbox.
/// </summary>
[NotAudited]
public sealed class LicenseMachine : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid LicenseId { get; set; }
    public required string HardwareId { get; set; }
    public string? Name { get; set; }
    public string? Platform { get; set; }
    public DateTime LastSeenAt { get; set; }
}

internal sealed class LicenseMachineConfiguration : IEntityTypeConfiguration<LicenseMachine>
{
    public void Configure(EntityTypeBuilder<LicenseMachine> machine)
    {
        machine.ToTable("license_machines");
        machine.Property(m => m.HardwareId).HasMaxLength(256);
        machine.Property(m => m.Name).HasMaxLength(200);
        machine.Property(m => m.Platform).HasMaxLength(100);
        // One activation per licence and machine: activating again is idempotent.
        machine.HasIndex(m => new { m.LicenseId, m.HardwareId }).IsUnique().HasDatabaseName("ux_license_machines_license_id_hardware_id");
        machine.HasIndex(m => new { m.LicenseId, m.CreatedAt }).HasDatabaseName("ix_license_machines_license_id_created_at");
        machine.HasOne<License>().WithMany().HasForeignKey(m => m.LicenseId).OnDelete(DeleteBehavior.Cascade);
    }
}

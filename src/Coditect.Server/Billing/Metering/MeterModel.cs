using Coditect.Server.Data;
using Coditect.Server.Licensing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Coditect.Server.Billing.Metering;

/// <summary>
/// One licence's metered use in one closed hour, written once by <see cref="UsageMeter"/>: seat-hours (exact, from the
/// leases' start and end) and acquisitions. Only hours with some use have a row.
/// </summary>
[NotAudited]
public sealed class MeteredHourRow : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid LicenseId { get; set; }
    public DateTime Hour { get; set; }
    public double SeatHours { get; set; }
    public int Acquisitions { get; set; }
    public DateTime ComputedAt { get; set; }
}

/// <summary>
/// A closed hour: <see cref="UsageMeter"/> has computed every licence's use in it (in the same transaction as the
/// <see cref="MeteredHourRow"/>s). Not a tenant's: one row per hour for the whole server.
/// </summary>
[NotAudited]
public sealed class MeterRun
{
    public DateTime Hour { get; set; }
    public DateTime ComputedAt { get; set; }
}

/// <summary>
/// One meter event for Stripe: a subscription's use of one meter in one hour. Made once, when the hour is closed
/// (unique subscription, meter and hour); its <see cref="Entity.Id"/> is derived from those three and is the meter event's
/// <c>identifier</c> (Stripe de-duplicates on it) and idempotency key. <c>reported_at</c> stays null until Stripe has
/// accepted it: the next run retries.
/// </summary>
[NotAudited]
public sealed class UsageReport : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }
    public required string SubscriptionId { get; set; }
    public required string CustomerId { get; set; }

    /// <summary>The meter's event name (<c>Billing:Stripe:SeatMeterEvent</c> or <c>AcquisitionMeterEvent</c>).</summary>
    public required string Meter { get; set; }

    public DateTime Hour { get; set; }

    /// <summary>Whole units: seat-minutes for the seat meter, acquisitions for the other (Stripe takes whole numbers).</summary>
    public long Value { get; set; }

    public DateTime? ReportedAt { get; set; }

    /// <summary>The identifier Stripe accepted (the row's id), once reported.</summary>
    public string? StripeIdentifier { get; set; }

    /// <summary>Why the last attempt failed, if it did (no secrets: Stripe's error message or the network error).</summary>
    public string? LastError { get; set; }

    public int Attempts { get; set; }
}

internal sealed class MeteredHourConfiguration : IEntityTypeConfiguration<MeteredHourRow>
{
    public void Configure(EntityTypeBuilder<MeteredHourRow> hour)
    {
        hour.ToTable("metered_hours");
        hour.HasKey(h => new { h.LicenseId, h.Hour });
        hour.HasIndex(h => new { h.TenantId, h.Hour });
        hour.HasOne<License>().WithMany().HasForeignKey(h => h.LicenseId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class MeterRunConfiguration : IEntityTypeConfiguration<MeterRun>
{
    public void Configure(EntityTypeBuilder<MeterRun> run)
    {
        run.ToTable("meter_runs");
        run.HasKey(r => r.Hour);
    }
}

internal sealed class UsageReportConfiguration : IEntityTypeConfiguration<UsageReport>
{
    public void Configure(EntityTypeBuilder<UsageReport> report)
    {
        report.ToTable("usage_reports");
        report.Property(r => r.SubscriptionId).HasMaxLength(255);
        report.Property(r => r.CustomerId).HasMaxLength(255);
        report.Property(r => r.Meter).HasMaxLength(100);
        report.Property(r => r.StripeIdentifier).HasMaxLength(100);
        report.Property(r => r.LastError).HasMaxLength(500);
        report.HasIndex(r => new { r.SubscriptionId, r.Meter, r.Hour }).IsUnique();
        report.HasIndex(r => new { r.ReportedAt, r.Hour });
        report.HasIndex(r => new { r.TenantId, r.Hour });
        report.HasOne<Organizations.Organization>().WithMany().HasForeignKey(r => r.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

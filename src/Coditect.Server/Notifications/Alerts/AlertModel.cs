using Coditect.Server.Data;
using Coditect.Server.Licensing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Coditect.Server.Notifications.Alerts;

/// <summary>
/// An expiry reminder sent: one per licence, expiry date and threshold (30, 7 or 1 days), written in the transaction
/// that raised <c>license.expiring</c> and queued its mail, so it is sent once across restarts and nodes. Keyed by the
/// expiry too: a licence renewed to a later date is reminded again for that date.
/// </summary>
[NotAudited]
public sealed class LicenseReminder : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid LicenseId { get; set; }
    public DateTime ExpiresAt { get; set; }
    public int ThresholdDays { get; set; }
    public DateTime SentAt { get; set; }
}

/// <summary>
/// A licence-hour whose denials were announced (<c>license.seats_exhausted</c>): one per licence per hour. The row
/// that also mailed the admins carries <see cref="MailedOn"/>, the day of that hour; a unique key on it keeps the
/// mail to one per licence per day.
/// </summary>
[NotAudited]
public sealed class SeatAlert : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid LicenseId { get; set; }
    public DateTime HourStart { get; set; }
    public int Denials { get; set; }
    public DateTime AnnouncedAt { get; set; }
    public DateTime? MailedOn { get; set; }
}

internal sealed class LicenseReminderConfiguration : IEntityTypeConfiguration<LicenseReminder>
{
    public void Configure(EntityTypeBuilder<LicenseReminder> reminder)
    {
        reminder.ToTable("license_reminders");
        reminder.HasKey(r => new { r.LicenseId, r.ExpiresAt, r.ThresholdDays });
        reminder.HasIndex(r => r.ExpiresAt).HasDatabaseName("ix_license_reminders_expires_at");
        reminder.HasOne<License>().WithMany().HasForeignKey(r => r.LicenseId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class SeatAlertConfiguration : IEntityTypeConfiguration<SeatAlert>
{
    public void Configure(EntityTypeBuilder<SeatAlert> alert)
    {
        alert.ToTable("seat_alerts");
        alert.HasKey(a => new { a.LicenseId, a.HourStart });
        alert.HasIndex(a => new { a.LicenseId, a.MailedOn }).IsUnique().HasDatabaseName("ux_seat_alerts_license_id_mailed_on");
        alert.HasOne<License>().WithMany().HasForeignKey(a => a.LicenseId).OnDelete(DeleteBehavior.Cascade);
    }
}

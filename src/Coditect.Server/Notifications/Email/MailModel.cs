using Coditect.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Coditect.Server.Notifications.Email;

/// <summary>
/// One e-mail on its way out, written in the transaction of the change it tells about (so a rolled-back change sends
/// nothing and a committed one is never lost) and sent later by every node's <see cref="MailSender"/>. Not
/// tenant-owned: password and sign-up mail belongs to a person, not an organization. The bodies are cleared once the
/// message is sent (reset and invitation links are secrets); kind, recipient and subject stay as the log.
/// </summary>
[NotAudited]
public sealed class OutgoingMail : Entity
{
    public required string Kind { get; set; }
    public required string ToAddress { get; set; }
    public required string Subject { get; set; }
    public string? TextBody { get; set; }
    public string? HtmlBody { get; set; }
    public string Status { get; set; } = MailStatus.Pending;
    public int AttemptCount { get; set; }
    public DateTime? NextAttemptAt { get; set; }
    public DateTime? LeaseUntil { get; set; }
    public Guid? ClaimToken { get; set; }
    public string? LastError { get; set; }
    public DateTime? SentAt { get; set; }
}

public static class MailStatus
{
    public const string Pending = "pending";
    public const string Sent = "sent";
    public const string Failed = "failed";
}

internal sealed class OutgoingMailConfiguration : IEntityTypeConfiguration<OutgoingMail>
{
    public void Configure(EntityTypeBuilder<OutgoingMail> mail)
    {
        mail.ToTable("outgoing_mail");
        mail.Property(m => m.Kind).HasMaxLength(50);
        mail.Property(m => m.ToAddress).HasMaxLength(320);
        mail.Property(m => m.Subject).HasMaxLength(300);
        mail.Property(m => m.Status).HasMaxLength(20);
        mail.HasIndex(m => new { m.Status, m.NextAttemptAt });
    }
}

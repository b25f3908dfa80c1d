using System.ComponentModel.DataAnnotations;
using Coditect.Server.Platform;

namespace Coditect.Server.Notifications.Email;

/// <summary><c>Email:*</c> settings. With no <c>Email:Smtp:Host</c> every message is written as an .eml file instead.</summary>
public sealed class EmailOptions : IValidatableObject
{
    public const string Section = "Email";

    /// <summary>The sender, e.g. <c>CODITECT &lt;noreply@example.com&gt;</c>.</summary>
    public string From { get; set; } = "CODITECT <noreply@localhost>";

    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>Where messages go when no SMTP server is set; relative paths are under the content root.</summary>
    public string DropFolder { get; set; } = "data/mail";

    /// <summary>The wait before each retry of a message the SMTP server did not take; after the last, it has failed.</summary>
    public string RetrySchedule { get; set; } = "10s,1m,5m,30m,2h,6h,12h";

    [Range(50, 60_000)]
    public int PollMilliseconds { get; set; } = 1000;

    /// <summary>Run this node's sender (every node does by default).</summary>
    public bool Send { get; set; } = true;

    public TimeSpan Poll => TimeSpan.FromMilliseconds(PollMilliseconds);

    public IReadOnlyList<TimeSpan> Retries => Durations.Parse(RetrySchedule) ?? [];

    public bool UsesSmtp => !string.IsNullOrWhiteSpace(Smtp.Host);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Durations.Parse(RetrySchedule) is null)
        {
            yield return new ValidationResult("Email:RetrySchedule must be durations like 10s,5m,2h, comma-separated.", [nameof(RetrySchedule)]);
        }

        if (!MimeKit.MailboxAddress.TryParse(From, out _))
        {
            yield return new ValidationResult("Email:From must be an address like 'CODITECT <noreply@example.com>'.", [nameof(From)]);
        }

        if (Smtp.Security is not ("auto" or "none" or "starttls" or "tls"))
        {
            yield return new ValidationResult("Email:Smtp:Security must be auto, none, starttls or tls.", ["Smtp.Security"]);
        }
    }
}

/// <summary><c>Email:Smtp:*</c>: the relay that takes the mail.</summary>
public sealed class SmtpOptions
{
    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 587;

    /// <summary><c>auto</c> (STARTTLS when offered; TLS on port 465), <c>none</c>, <c>starttls</c> (required) or <c>tls</c>.</summary>
    public string Security { get; set; } = "auto";

    public string? User { get; set; }

    public string? Password { get; set; }

    [Range(1, 300)]
    public int TimeoutSeconds { get; set; } = 30;
}

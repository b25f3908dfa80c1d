using Coditect.Server.Data;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Coditect.Server.Notifications.Email;

/// <summary>
/// Sends queued mail, on every node. A pass claims up to <see cref="BatchSize"/> due messages with a lease and this
/// pass's claim token (two nodes never send the same message while its lease runs), hands them to the transport over
/// one connection outside any transaction, then records each outcome: sent (and its bodies cleared), or the next retry
/// of <c>Email:RetrySchedule</c>, or failed when none is left. An SMTP server that is down only delays the mail.
/// </summary>
public sealed class MailSender(
    IServiceScopeFactory scopes,
    IMailTransport transport,
    MailSignal signal,
    IOptions<EmailOptions> options,
    TimeProvider clock,
    ILogger<MailSender> logger) : BackgroundService
{
    internal const int BatchSize = 50;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    private readonly LogThrottle _failures = new(TimeSpan.FromSeconds(10));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Send)
        {
            return;
        }

        if (options.Value.UsesSmtp)
        {
            logger.LogInformation("E-mail goes to the SMTP server {Host}:{Port}", options.Value.Smtp.Host, options.Value.Smtp.Port);
        }
        else
        {
            logger.LogInformation("No SMTP server is set (Email:Smtp:Host): e-mail is written as .eml files to {Folder}", (transport as DropFolderMailTransport)?.Folder);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await SendDueAsync(stoppingToken) == BatchSize)
                {
                    // a full batch: more may be due
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                if (_failures.Count(out var count))
                {
                    logger.LogWarning("Sending e-mail failed ({Count} failures since the last such line): {Error}", count, e.GetBaseException().Message);
                }
            }

            await signal.SenderWaitAsync(options.Value.Poll, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>One pass: claim, send, record. Returns how many messages it handled.</summary>
    internal async Task<int> SendDueAsync(CancellationToken ct)
    {
        var (token, claimed) = await ClaimAsync(ct);
        if (claimed.Count == 0)
        {
            return 0;
        }

        var from = MailboxAddress.Parse(options.Value.From);
        var results = await transport.SendAsync([.. claimed.Select(m => ToMime(m, from))], ct);
        await RecordAsync(token, claimed, results, ct);
        return claimed.Count;
    }

    private async Task<(Guid Token, List<OutgoingMail> Claimed)> ClaimAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var tenancy = scope.ServiceProvider.GetRequiredService<TenantScope>();
        await tenancy.BeginAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var mail = db.Set<OutgoingMail>();
        var due = await mail.Where(m => m.Status == MailStatus.Pending && m.NextAttemptAt <= now && (m.LeaseUntil == null || m.LeaseUntil < now))
            .OrderBy(m => m.NextAttemptAt).Select(m => m.Id).Take(BatchSize).ToListAsync(ct);
        var token = Guid.NewGuid();
        if (due.Count > 0)
        {
            // Re-checked row by row: on PostgreSQL a message another node claimed meanwhile no longer matches.
            await mail.Where(m => due.Contains(m.Id) && m.Status == MailStatus.Pending && (m.LeaseUntil == null || m.LeaseUntil < now))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.LeaseUntil, now + Lease).SetProperty(m => m.ClaimToken, token), ct);
        }

        var claimed = due.Count == 0 ? [] : await mail.AsNoTracking().Where(m => m.ClaimToken == token).OrderBy(m => m.NextAttemptAt).ToListAsync(ct);
        await tenancy.CommitAsync(ct);
        return (token, claimed);
    }

    private async Task RecordAsync(Guid token, List<OutgoingMail> claimed, IReadOnlyList<string?> results, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var tenancy = scope.ServiceProvider.GetRequiredService<TenantScope>();
        await tenancy.BeginAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var retries = options.Value.Retries;
        var ids = claimed.Select(m => m.Id).ToList();
        var rows = await db.Set<OutgoingMail>().Where(m => ids.Contains(m.Id) && m.ClaimToken == token).ToDictionaryAsync(m => m.Id, ct);
        for (var i = 0; i < claimed.Count; i++)
        {
            if (!rows.TryGetValue(claimed[i].Id, out var row))
            {
                continue; // the lease ran out and another node took it over
            }

            row.AttemptCount++;
            row.LeaseUntil = null;
            row.ClaimToken = null;
            if (results[i] is not { } error)
            {
                (row.Status, row.SentAt, row.NextAttemptAt, row.LastError) = (MailStatus.Sent, now, null, null);
                (row.TextBody, row.HtmlBody) = (null, null);
                if (!options.Value.UsesSmtp)
                {
                    logger.LogInformation("E-mail {Kind} ({Id}) written to the drop folder", row.Kind, row.Id);
                }

                continue;
            }

            row.LastError = error.Length > 500 ? error[..500] : error;
            if (row.AttemptCount <= retries.Count)
            {
                row.NextAttemptAt = now + Jittered(retries[row.AttemptCount - 1]);
            }
            else
            {
                (row.Status, row.NextAttemptAt, row.TextBody, row.HtmlBody) = (MailStatus.Failed, null, null, null);
                logger.LogWarning("E-mail {Kind} ({Id}) failed after {Attempts} attempts: {Error}", row.Kind, row.Id, row.AttemptCount, row.LastError);
            }
        }

        await db.SaveChangesAsync(ct);
        await tenancy.CommitAsync(ct);
        if (results.Any(r => r is not null) && _failures.Count(out var suppressed))
        {
            logger.LogWarning("E-mail could not be sent and will be retried ({Count} such passes since the last line): {Error}",
                suppressed, results.First(r => r is not null));
        }
    }

    private static TimeSpan Jittered(TimeSpan wait) => wait * (0.9 + Random.Shared.NextDouble() * 0.2);

    private static MimeMessage ToMime(OutgoingMail mail, MailboxAddress from)
    {
        var message = new MimeMessage();
        message.From.Add(from);
        message.To.Add(MailboxAddress.Parse(mail.ToAddress));
        message.Subject = mail.Subject;
        message.MessageId = $"{mail.Id:N}@{from.Domain}";
        message.Date = DateTime.SpecifyKind(mail.CreatedAt, DateTimeKind.Utc);
        message.Headers.Add("X-Coditect-Kind", mail.Kind);
        if (MailKinds.IsOptional(mail.Kind))
        {
            message.Headers.Add("Auto-Submitted", "auto-generated");
        }

        message.Body = new BodyBuilder { TextBody = mail.TextBody ?? "", HtmlBody = mail.HtmlBody ?? "" }.ToMessageBody();
        return message;
    }
}

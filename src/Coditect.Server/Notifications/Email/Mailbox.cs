using System.Text.Json;
using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Notifications.Email;

/// <summary>
/// Queues e-mail in the caller's transaction (scoped): the message is saved with the caller's change and sent after
/// commit by <see cref="MailSender"/>, so mail about a change that rolled back is never sent, and mail about one that
/// committed is never lost. Notification kinds skip people who turned them off.
/// </summary>
public sealed class Mailbox(CoditectDbContext db, MailSignal signal, IOptions<AppOptions> app, TimeProvider clock)
{
    /// <summary>An absolute console link (<c>App:PublicUrl</c> in front of <paramref name="path"/>).</summary>
    public string Link(string path) => app.Value.Link(path);

    /// <summary>Where a person chooses which notification e-mail they get.</summary>
    public string PreferencesLink => Link("/profile#email");

    /// <summary>Adds the message to the context; the caller's save writes it.</summary>
    public void Queue(string kind, string to, MailContent content)
    {
        db.Add(new OutgoingMail
        {
            Kind = kind,
            ToAddress = to,
            Subject = content.Subject,
            TextBody = content.Text,
            HtmlBody = content.Html,
            NextAttemptAt = clock.GetUtcNow().UtcDateTime,
        });
        signal.AfterCommit(db);
    }

    /// <summary>
    /// Queues one message per owner and admin of <paramref name="organizationId"/> who has not turned
    /// <paramref name="kind"/> off, and saves. Reads memberships across tenants: call it from system paths (jobs,
    /// outbox handlers). Returns how many were queued.
    /// </summary>
    public async Task<int> QueueToAdminsAsync(Guid organizationId, string kind, Func<User, MailContent> build, CancellationToken ct)
    {
        var admins = await db.Set<Membership>().IgnoreQueryFilters()
            .Where(m => m.TenantId == organizationId && (m.Role == Role.Owner || m.Role == Role.Admin))
            .Join(db.Set<User>(), m => m.UserId, u => u.Id, (m, u) => u)
            .ToListAsync(ct);
        var queued = 0;
        foreach (var user in admins.Where(u => Wants(u, kind)))
        {
            Queue(kind, user.Email, build(user));
            queued++;
        }

        await db.SaveChangesAsync(ct);
        return queued;
    }

    /// <summary>Whether <paramref name="user"/> gets mail of <paramref name="kind"/>: security mail always; notifications unless muted.</summary>
    public static bool Wants(User user, string kind) => !MailKinds.IsOptional(kind) || !Muted(user).Contains(kind);

    /// <summary>The notification kinds the user turned off.</summary>
    public static IReadOnlySet<string> Muted(User user) =>
        (JsonSerializer.Deserialize<List<string>>(user.MutedEmailKinds) ?? []).ToHashSet(StringComparer.Ordinal);
}

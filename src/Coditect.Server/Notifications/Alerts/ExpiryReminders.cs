using Coditect.Server.Data;
using Coditect.Server.Licensing;
using Coditect.Server.Notifications.Email;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Notifications.Alerts;

/// <summary>What <c>license.expiring</c> carries: the licence (never its key), its expiry and the reminder's threshold.</summary>
public sealed record LicenseExpiringData(Guid Id, string Name, string KeyPreview, int SeatsTotal, DateTime ExpiresAt, int DaysLeft, int ThresholdDays);

/// <summary>
/// Reminds an organization's admins that a licence expires in 30, 7 or 1 days: every
/// <c>Notifications:ExpiryCheckSeconds</c>, once in the cluster, it raises <c>license.expiring</c> and queues the
/// <c>license_expiring</c> mail for each active licence that reached a threshold it was not yet reminded of for its
/// current expiry. The reminder row (<see cref="LicenseReminder"/>, unique per licence, expiry and threshold) commits
/// with the event and the mail, so a reminder goes once whatever restarts or overlaps. When several thresholds are due
/// at once (a licence created 5 days before expiry) only the nearest is sent. Licences billing manages are left out:
/// their expiry follows the subscription, which has mail of its own.
/// </summary>
public sealed class ExpiryReminders(IServiceScopeFactory scopes, IOptions<AlertOptions> options, TimeProvider time, ILogger<ExpiryReminders> logger)
    : ClusterJob(scopes, time, logger)
{
    /// <summary>Days before expiry at which admins hear, farthest first.</summary>
    public static readonly IReadOnlyList<int> Thresholds = [30, 7, 1];

    private readonly IServiceScopeFactory _scopes = scopes;
    private readonly LogThrottle _failures = new(TimeSpan.FromSeconds(10));

    protected override string Name => "license-expiry-reminders";

    protected override TimeSpan Period => TimeSpan.FromSeconds(options.Value.ExpiryCheckSeconds);

    /// <summary>The nearest threshold reached by a licence expiring at <paramref name="expiresAt"/>; null when none is (or it has expired).</summary>
    public static int? DueThreshold(DateTime expiresAt, DateTime now)
    {
        var left = expiresAt - now;
        if (left <= TimeSpan.Zero)
        {
            return null;
        }

        int? due = null;
        foreach (var days in Thresholds)
        {
            if (left <= TimeSpan.FromDays(days))
            {
                due = days;
            }
        }

        return due;
    }

    /// <summary>Whole days left, rounded up: a licence 6 days and 3 hours from expiry has 7 days left, one an hour away 1.</summary>
    public static int DaysLeft(DateTime expiresAt, DateTime now) => (int)Math.Ceiling((expiresAt - now).TotalDays);

    /// <summary>One check now, outside the schedule (tests). Returns how many reminders it sent.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = _scopes.CreateAsyncScope();
        return await RemindAsync(scope.ServiceProvider, ct);
    }

    protected override Task RunAsync(IServiceProvider services, CancellationToken ct) => RemindAsync(services, ct);

    private async Task<int> RemindAsync(IServiceProvider services, CancellationToken ct)
    {
        var db = services.GetRequiredService<CoditectDbContext>();
        var now = Clock.GetUtcNow().UtcDateTime;
        var horizon = now.AddDays(Thresholds[0]);
        var (licenses, sent) = await db.RunAsSystemAsync(async () =>
        {
            var licenses = await db.Set<License>().IgnoreQueryFilters().AsNoTracking()
                .Where(l => l.State == LicenseState.Active && l.ManagedBy == null && l.ExpiresAt > now && l.ExpiresAt <= horizon)
                .Select(l => new { l.Id, l.TenantId, ExpiresAt = l.ExpiresAt!.Value })
                .ToListAsync(ct);
            var sent = await db.Set<LicenseReminder>().IgnoreQueryFilters().AsNoTracking()
                .Where(r => r.ExpiresAt > now && r.ExpiresAt <= horizon)
                .Select(r => new { r.LicenseId, r.ExpiresAt, r.ThresholdDays })
                .ToListAsync(ct);
            return (licenses, sent.Select(r => (r.LicenseId, r.ExpiresAt, r.ThresholdDays)).ToHashSet());
        }, ct);

        var reminded = 0;
        foreach (var license in licenses)
        {
            if (DueThreshold(license.ExpiresAt, now) is not { } threshold || sent.Contains((license.Id, license.ExpiresAt, threshold)))
            {
                continue;
            }

            try
            {
                if (await RemindAsync(license.TenantId, license.Id, license.ExpiresAt, threshold, now, ct))
                {
                    reminded++;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One licence that fails (its organization just deleted, say) does not hold up the others; it is tried next time.
                if (_failures.Count(out var count))
                {
                    logger.LogWarning("An expiry reminder failed ({Count} failures since the last such line): {Error}", count, e.GetBaseException().Message);
                }
            }
        }

        if (reminded > 0)
        {
            logger.LogInformation("Sent {Count} licence expiry reminder(s)", reminded);
        }

        return reminded;
    }

    /// <summary>One reminder, in a unit of work of the licence's organization. False when it was sent already or the licence changed.</summary>
    private async Task<bool> RemindAsync(Guid tenantId, Guid licenseId, DateTime expiresAt, int threshold, DateTime now, CancellationToken ct)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var tenantScope = scope.ServiceProvider.GetRequiredService<TenantScope>();
        await tenantScope.EnterAsync(tenantId, ct);
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var license = await db.Set<License>().AsNoTracking().SingleOrDefaultAsync(l => l.Id == licenseId, ct);
        if (license is null || license.State != LicenseState.Active || license.ExpiresAt != expiresAt
            || await db.Set<LicenseReminder>().AnyAsync(r => r.LicenseId == licenseId && r.ExpiresAt == expiresAt && r.ThresholdDays == threshold, ct))
        {
            return false;
        }

        db.Add(new LicenseReminder { TenantId = tenantId, LicenseId = licenseId, ExpiresAt = expiresAt, ThresholdDays = threshold, SentAt = now });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            // Another run (a holder that overlapped this one) wrote the same reminder first: it is sent once, by that run.
            return false;
        }

        var daysLeft = DaysLeft(expiresAt, now);
        await db.RaiseAsync(LicensingEvents.Expiring,
            new LicenseExpiringData(license.Id, license.Name, license.KeyPreview, license.SeatsTotal, expiresAt, daysLeft, threshold), ct);
        var organization = await db.Set<Organization>().AsNoTracking().SingleAsync(o => o.Id == tenantId, ct);
        var mailbox = scope.ServiceProvider.GetRequiredService<Mailbox>();
        var link = mailbox.Link($"/orgs/{organization.Slug}/licenses/{license.Id}");
        await mailbox.QueueToAdminsAsync(tenantId, MailKinds.LicenseExpiring,
            _ => MailTemplates.LicenseExpiring(organization.Name, license.Name, expiresAt, daysLeft, link, mailbox.PreferencesLink), ct);
        await tenantScope.CommitAsync(ct);
        return true;
    }
}

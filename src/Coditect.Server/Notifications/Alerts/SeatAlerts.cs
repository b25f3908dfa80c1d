using Coditect.Server.Data;
using Coditect.Server.Licensing;
using Coditect.Server.Licensing.Ledger;
using Coditect.Server.Notifications.Email;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Notifications.Alerts;

/// <summary>What <c>license.seats_exhausted</c> carries: the licence (never its key) and the hour in which it turned users away.</summary>
public sealed record SeatsExhaustedData(Guid Id, string Name, string KeyPreview, int SeatsTotal, DateTime HourStart, int Denials);

/// <summary>
/// Tells that a licence turned a user away (409 <c>NO_SEATS_AVAILABLE</c>) without touching the acquire path: the
/// ledger already counts denials per licence per hour (<c>license_usage.denials</c>, in the acquire's own write), and
/// every <c>Notifications:SeatAlertCheckSeconds</c>, once in the cluster, this job raises
/// <c>license.seats_exhausted</c> for each licence-hour of the current or previous hour with denials that was not yet
/// announced, and queues the <c>seats_exhausted</c> mail when that licence has not mailed that day (UTC). What it
/// announced is recorded (<see cref="SeatAlert"/>, unique per licence-hour, and per licence-day for the mail) in the
/// transaction of the event and the mail: once each, whatever restarts or overlaps (ADR 0014).
/// </summary>
public sealed class SeatAlerts(IServiceScopeFactory scopes, IOptions<AlertOptions> options, TimeProvider time, ILogger<SeatAlerts> logger)
    : ClusterJob(scopes, time, logger)
{
    private readonly IServiceScopeFactory _scopes = scopes;
    private readonly LogThrottle _failures = new(TimeSpan.FromSeconds(10));

    protected override string Name => "license-seat-alerts";

    protected override TimeSpan Period => TimeSpan.FromSeconds(options.Value.SeatAlertCheckSeconds);

    /// <summary>One check now, outside the schedule (tests). Returns how many licence-hours it announced.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = _scopes.CreateAsyncScope();
        return await AnnounceAsync(scope.ServiceProvider, ct);
    }

    protected override Task RunAsync(IServiceProvider services, CancellationToken ct) => AnnounceAsync(services, ct);

    private async Task<int> AnnounceAsync(IServiceProvider services, CancellationToken ct)
    {
        var db = services.GetRequiredService<CoditectDbContext>();
        var now = Clock.GetUtcNow().UtcDateTime;
        // The previous hour too, so denials just before the hour turned are not missed; older ones are history, not news.
        var since = LedgerRules.HourOf(now).AddHours(-1);
        var due = await db.RunAsSystemAsync(() => db.Set<LicenseUsage>().IgnoreQueryFilters().AsNoTracking()
            .Where(u => u.HourStart >= since && u.Denials > 0
                && !db.Set<SeatAlert>().IgnoreQueryFilters().Any(a => a.LicenseId == u.LicenseId && a.HourStart == u.HourStart))
            .OrderBy(u => u.HourStart)
            .Select(u => new { u.TenantId, u.LicenseId, u.HourStart })
            .ToListAsync(ct), ct);

        var announced = 0;
        foreach (var hour in due)
        {
            try
            {
                if (await AnnounceAsync(hour.TenantId, hour.LicenseId, hour.HourStart, now, ct))
                {
                    announced++;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (_failures.Count(out var count))
                {
                    logger.LogWarning("A seats-exhausted alert failed ({Count} failures since the last such line): {Error}", count, e.GetBaseException().Message);
                }
            }
        }

        return announced;
    }

    /// <summary>One licence-hour, in a unit of work of the licence's organization. False when it was announced already.</summary>
    private async Task<bool> AnnounceAsync(Guid tenantId, Guid licenseId, DateTime hourStart, DateTime now, CancellationToken ct)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var tenantScope = scope.ServiceProvider.GetRequiredService<TenantScope>();
        await tenantScope.EnterAsync(tenantId, ct);
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var license = await db.Set<License>().AsNoTracking().SingleOrDefaultAsync(l => l.Id == licenseId, ct);
        if (license is null || await db.Set<SeatAlert>().AnyAsync(a => a.LicenseId == licenseId && a.HourStart == hourStart, ct))
        {
            return false;
        }

        var denials = await db.Set<LicenseUsage>().Where(u => u.LicenseId == licenseId && u.HourStart == hourStart).Select(u => u.Denials).SingleAsync(ct);
        var day = new DateTime(hourStart.Year, hourStart.Month, hourStart.Day, 0, 0, 0, DateTimeKind.Utc);
        var mail = !await db.Set<SeatAlert>().AnyAsync(a => a.LicenseId == licenseId && a.MailedOn == day, ct);
        db.Add(new SeatAlert { TenantId = tenantId, LicenseId = licenseId, HourStart = hourStart, Denials = denials, AnnouncedAt = now, MailedOn = mail ? day : null });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            // An overlapping run announced this hour (or mailed this day) first; what is left is tried next time.
            return false;
        }

        await db.RaiseAsync(LicensingEvents.SeatsExhausted,
            new SeatsExhaustedData(license.Id, license.Name, license.KeyPreview, license.SeatsTotal, hourStart, denials), ct);
        if (mail)
        {
            var organization = await db.Set<Organization>().AsNoTracking().SingleAsync(o => o.Id == tenantId, ct);
            var mailbox = scope.ServiceProvider.GetRequiredService<Mailbox>();
            var link = mailbox.Link($"/orgs/{organization.Slug}/licenses/{license.Id}");
            await mailbox.QueueToAdminsAsync(tenantId, MailKinds.SeatsExhausted,
                _ => MailTemplates.SeatsExhausted(organization.Name, license.Name, license.SeatsTotal, link, mailbox.PreferencesLink), ct);
        }

        await tenantScope.CommitAsync(ct);
        return true;
    }
}

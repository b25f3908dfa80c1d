using System.Security.Cryptography;
using System.Text;
using Coditect.Contracts.Billing;
using Coditect.Server.Data;
using Coditect.Server.Licensing;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Billing.Metering;

/// <summary>
/// The metering job (<c>usage-meter</c>, every <c>Billing:MeterSeconds</c>, once in the cluster). It closes the hours
/// that have ended more than a lease's TTL, a heartbeat flush and a margin ago (<see cref="Delay"/>): by then no lease
/// that held a seat in the hour can still change its times there. Closing an hour writes, in one transaction, every
/// licence's use (<see cref="MeteredHourRow"/>), the hour's <see cref="MeterRun"/> and, for each organization with a Stripe
/// subscription in force, one <see cref="UsageReport"/> per configured meter. Then, outside any transaction, it sends the
/// reports not yet accepted to Stripe as meter events (<see cref="MeterReporter"/>); one Stripe cannot take is left for the
/// next run. Safe to repeat and to overlap: an hour closes once (<c>meter_runs</c>'s key), a report is sent again only
/// while unaccepted, and Stripe de-duplicates on its identifier.
/// </summary>
public sealed class UsageMeter(
    IServiceScopeFactory scopes, IOptions<BillingOptions> options, IOptions<LicensingOptions> licensing, TimeProvider time,
    ILogger<UsageMeter> logger) : ClusterJob(scopes, time, logger)
{
    /// <summary>Hours closed in one run at most: a server that starts metering with a long history catches up over runs.</summary>
    public const int MaxHoursPerRun = 168;

    /// <summary>Stripe takes meter events at most 35 days old; older unreported hours are left alone.</summary>
    public static readonly TimeSpan StripeHorizon = TimeSpan.FromDays(35);

    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(30);

    private readonly IServiceScopeFactory _scopes = scopes;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    protected override string Name => "usage-meter";

    protected override TimeSpan Period => TimeSpan.FromSeconds(options.Value.MeterSeconds);

    /// <summary>How long after its end an hour is closed: a lease's TTL, a heartbeat flush, and a margin for commits in flight.</summary>
    public TimeSpan Delay => TimeSpan.FromSeconds(licensing.Value.LeaseTtlSeconds) + TimeSpan.FromMilliseconds(licensing.Value.HeartbeatFlushMilliseconds) + Margin;

    /// <summary>The start of the first hour that is not closed yet at <paramref name="now"/> (hours before it may close).</summary>
    public DateTime ClosableBefore(DateTime now) => SeatTime.HourOf(now - Delay);

    /// <summary>One run now, outside the schedule (tests).</summary>
    public async Task RunOnceAsync(CancellationToken ct)
    {
        await using var scope = _scopes.CreateAsyncScope();
        await RunAsync(scope.ServiceProvider, ct);
    }

    protected override async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        await _oneAtATime.WaitAsync(ct);
        try
        {
            var closed = await CloseHoursAsync(ct);
            if (closed > 0)
            {
                logger.LogInformation("Metered {Count} hour(s)", closed);
            }

            if (options.Value.Provider == BillingProvider.Stripe)
            {
                await using var scope = _scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<MeterReporter>().ReportPendingAsync(ct);
            }
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>Closes the ended hours not closed yet, oldest first, each in its own transaction. Returns how many.</summary>
    private async Task<int> CloseHoursAsync(CancellationToken ct)
    {
        var now = Clock.GetUtcNow().UtcDateTime;
        var before = ClosableBefore(now);
        DateTime? next;
        await using (var scope = _scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
            next = await db.RunAsSystemAsync(async () =>
            {
                var last = await db.Set<MeterRun>().MaxAsync(r => (DateTime?)r.Hour, ct);
                if (last is { } hour)
                {
                    return hour + SeatTime.Hour;
                }

                var first = await db.Set<LicenseSession>().IgnoreQueryFilters().MinAsync(s => (DateTime?)s.StartedAt, ct);
                return first is { } start ? SeatTime.HourOf(start) : (DateTime?)null;
            }, ct);
        }

        var closed = 0;
        for (var hour = next; hour is { } h && h < before && closed < MaxHoursPerRun; hour = h + SeatTime.Hour)
        {
            await using var scope = _scopes.CreateAsyncScope();
            if (await CloseAsync(scope.ServiceProvider.GetRequiredService<CoditectDbContext>(), h, now, ct))
            {
                closed++;
            }
        }

        return closed;
    }

    private async Task<bool> CloseAsync(CoditectDbContext db, DateTime hour, DateTime now, CancellationToken ct) =>
        await db.RunAsSystemAsync(async () =>
        {
            if (await db.Set<MeterRun>().AnyAsync(r => r.Hour == hour, ct))
            {
                return false; // another run closed it
            }

            var uses = await SeatTime.ComputeAsync(db, hour, hour + SeatTime.Hour, now, allTenants: true, ct);
            db.Set<MeterRun>().Add(new MeterRun { Hour = hour, ComputedAt = now });
            db.Set<MeteredHourRow>().AddRange(uses.Select(u => new MeteredHourRow
            {
                TenantId = u.TenantId, LicenseId = u.LicenseId, Hour = u.Hour, SeatHours = u.SeatHours, Acquisitions = u.Acquisitions, ComputedAt = now,
            }));
            if (options.Value.Provider == BillingProvider.Stripe && now - hour < StripeHorizon)
            {
                await AddReportsAsync(db, hour, uses, ct);
            }

            await db.SaveChangesAsync(ct);
            return true;
        }, ct);

    /// <summary>One report per organization with a Stripe subscription in force, per configured meter with a non-zero value.</summary>
    private async Task AddReportsAsync(CoditectDbContext db, DateTime hour, List<SeatTime.Use> uses, CancellationToken ct)
    {
        var stripe = options.Value.Stripe;
        var meters = new List<(string Event, Func<IEnumerable<SeatTime.Use>, long> Value)>();
        if (stripe.SeatMeterEvent is { Length: > 0 } seatMeter)
        {
            meters.Add((seatMeter, u => SeatMinutes(u.Sum(x => x.SeatHours))));
        }

        if (stripe.AcquisitionMeterEvent is { Length: > 0 } acquisitionMeter)
        {
            meters.Add((acquisitionMeter, u => u.Sum(x => (long)x.Acquisitions)));
        }

        var tenants = uses.Select(u => u.TenantId).Distinct().ToList();
        if (meters.Count == 0 || tenants.Count == 0)
        {
            return;
        }

        var billed = await db.Set<BillingAccount>().IgnoreQueryFilters().AsNoTracking()
            .Where(a => tenants.Contains(a.TenantId) && a.SubscriptionId != null && a.CustomerId != null
                && (a.Status == SubscriptionStatuses.Active || a.Status == SubscriptionStatuses.Trialing || a.Status == SubscriptionStatuses.PastDue))
            .Select(a => new { a.TenantId, a.SubscriptionId, a.CustomerId })
            .ToListAsync(ct);
        foreach (var account in billed)
        {
            var mine = uses.Where(u => u.TenantId == account.TenantId).ToList();
            foreach (var (meter, value) in meters)
            {
                var amount = value(mine);
                if (amount > 0)
                {
                    db.Set<UsageReport>().Add(new UsageReport
                    {
                        Id = ReportId(account.SubscriptionId!, meter, hour),
                        TenantId = account.TenantId, SubscriptionId = account.SubscriptionId!, CustomerId = account.CustomerId!,
                        Meter = meter, Hour = hour, Value = amount,
                    });
                }
            }
        }
    }

    /// <summary>Seat-hours as whole seat-minutes, rounded to the nearest (Stripe's meters take whole numbers).</summary>
    public static long SeatMinutes(double seatHours) => (long)Math.Round(seatHours * 60, MidpointRounding.AwayFromZero);

    /// <summary>
    /// The report's id and the meter event's identifier: derived from the subscription, meter and hour alone, so the same
    /// hour always gets the same identifier (Stripe de-duplicates on it), whoever computes it.
    /// </summary>
    public static Guid ReportId(string subscriptionId, string meter, DateTime hour)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{subscriptionId}|{meter}|{hour:yyyy-MM-ddTHH}Z"));
        return new Guid(hash.AsSpan(0, 16));
    }
}

using Coditect.Server.Data;
using Coditect.Server.Licensing;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Billing.Metering;

/// <summary>
/// Seat time, computed exactly from the leases' start and end times (never sampled). A lease holds its seat from
/// <c>started_at</c> to its end: <c>ended_at</c> once released, kicked or swept (the sweeper writes the lapse time,
/// <c>expires_at</c>); a lapsed lease not yet swept ends at <c>expires_at</c>; a live one counts up to now. Its
/// seat-hours in an hour are the overlap of that span with the hour, so a lease from 10:50 to 11:20 gives 1/6 h to
/// hour 10 and 1/3 h to hour 11. An acquisition is a lease started in the hour.
/// </summary>
public static class SeatTime
{
    public static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    /// <summary>The start of the clock hour (UTC) that holds <paramref name="time"/>.</summary>
    public static DateTime HourOf(DateTime time) => new(time.Ticks - (time.Ticks % Hour.Ticks), DateTimeKind.Utc);

    /// <summary>When a lease stops holding its seat, as far as is known at <paramref name="now"/>.</summary>
    public static DateTime EndOf(DateTime? endedAt, DateTime expiresAt, DateTime now) =>
        endedAt ?? (expiresAt < now ? expiresAt : now);

    /// <summary>The hours of a span [start, end) that falls in the hour starting at <paramref name="hour"/>.</summary>
    public static double Overlap(DateTime start, DateTime end, DateTime hour)
    {
        var from = start > hour ? start : hour;
        var hourEnd = hour + Hour;
        var to = end < hourEnd ? end : hourEnd;
        return to > from ? (to - from).Ticks / (double)Hour.Ticks : 0;
    }

    /// <summary>One lease's times, as <see cref="ComputeAsync"/> reads them.</summary>
    public sealed record Lease(Guid TenantId, Guid LicenseId, DateTime StartedAt, DateTime? EndedAt, DateTime ExpiresAt);

    /// <summary>One licence's use in one hour.</summary>
    public sealed record Use(Guid TenantId, Guid LicenseId, DateTime Hour, double SeatHours, int Acquisitions);

    /// <summary>
    /// Every licence's use in the hours [<paramref name="from"/>, <paramref name="to"/>) (hour-aligned), from the leases
    /// the context can see (one tenant's, or every tenant's on the system path). Licences without use are left out.
    /// </summary>
    public static async Task<List<Use>> ComputeAsync(CoditectDbContext db, DateTime from, DateTime to, DateTime now, bool allTenants, CancellationToken ct)
    {
        var sessions = allTenants ? db.Set<LicenseSession>().IgnoreQueryFilters() : db.Set<LicenseSession>();
        var leases = await sessions.AsNoTracking()
            .Where(s => s.StartedAt < to && (s.StartedAt >= from || (s.EndedAt ?? s.ExpiresAt) > from))
            .Select(s => new Lease(s.TenantId, s.LicenseId, s.StartedAt, s.EndedAt, s.ExpiresAt))
            .ToListAsync(ct);
        return Compute(leases, from, to, now);
    }

    /// <summary>The pure half of <see cref="ComputeAsync"/>.</summary>
    public static List<Use> Compute(IEnumerable<Lease> leases, DateTime from, DateTime to, DateTime now)
    {
        var uses = new Dictionary<(Guid License, DateTime Hour), (Guid Tenant, double SeatHours, int Acquisitions)>();
        foreach (var lease in leases)
        {
            var end = EndOf(lease.EndedAt, lease.ExpiresAt, now);
            var first = HourOf(lease.StartedAt > from ? lease.StartedAt : from);
            for (var hour = first; hour < to && hour < end; hour += Hour)
            {
                var seatHours = Overlap(lease.StartedAt, end, hour);
                if (seatHours > 0)
                {
                    var use = uses.GetValueOrDefault((lease.LicenseId, hour), (lease.TenantId, 0, 0));
                    uses[(lease.LicenseId, hour)] = (lease.TenantId, use.SeatHours + seatHours, use.Acquisitions);
                }
            }

            if (lease.StartedAt >= from && lease.StartedAt < to)
            {
                var hour = HourOf(lease.StartedAt);
                var use = uses.GetValueOrDefault((lease.LicenseId, hour), (lease.TenantId, 0, 0));
                uses[(lease.LicenseId, hour)] = (lease.TenantId, use.SeatHours, use.Acquisitions + 1);
            }
        }

        return [.. uses.Select(u => new Use(u.Value.Tenant, u.Key.License, u.Key.Hour, u.Value.SeatHours, u.Value.Acquisitions))
            .OrderBy(u => u.Hour).ThenBy(u => u.LicenseId)];
    }
}

using System.Globalization;
using System.Text;
using Coditect.Server.WebConsole;
using Coditect.Server.Data;
using Coditect.Server.Licensing;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Organizations.Pages;

/// <summary>An organization at a glance: licences, seats in use now, turn-aways in the last day, and a week of seat use.</summary>
[RequirePermission(Permission.ReadOrganization)]
[AllowWhenSuspended] // members see why their organization is stopped
public sealed class OverviewModel(CoditectDbContext db, TimeProvider clock) : ConsolePage
{
    private static readonly TimeSpan Week = TimeSpan.FromDays(7);

    public int Licenses { get; private set; }
    public int SeatsInUse { get; private set; }
    public int Denials { get; private set; }
    public int Members { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        Licenses = await db.Set<License>().CountAsync(ct);
        SeatsInUse = await db.Set<LicenseSession>().CountAsync(s => s.Status == SessionState.Active && s.ExpiresAt > now, ct);
        var dayAgo = HourOf(now).AddHours(-23);
        Denials = await db.Set<LicenseUsage>().Where(u => u.HourStart >= dayAgo).SumAsync(u => u.Denials, ct);
        Members = await db.Set<Membership>().CountAsync(ct);
    }

    /// <summary>
    /// The chart's data (<c>?handler=usage</c>, JSON for the chart or <c>format=csv</c>): for each hour of the last 7
    /// days, the peak seats in use summed over licences. An hour without events carries each licence's last count.
    /// </summary>
    public async Task<IActionResult> OnGetUsageAsync(string? format, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var to = HourOf(now).AddHours(1);
        var from = to - Week;
        var rows = await db.Set<LicenseUsage>().AsNoTracking().Where(u => u.HourStart >= from && u.HourStart < to)
            .Select(u => new { u.LicenseId, u.HourStart, u.PeakSeatsUsed, u.LastSeatsUsed }).ToListAsync(ct);
        // Each licence's count when the range begins: its last hour before it.
        var carried = await db.Set<LicenseUsage>().AsNoTracking().Where(u => u.HourStart < from)
            .GroupBy(u => u.LicenseId)
            .Select(g => g.OrderByDescending(u => u.HourStart).Select(u => new { u.LicenseId, u.LastSeatsUsed }).First())
            .ToDictionaryAsync(x => x.LicenseId, x => x.LastSeatsUsed, ct);

        var hours = (int)Week.TotalHours;
        var totals = new int[hours];
        foreach (var license in rows.GroupBy(r => r.LicenseId).Select(g => g.Key).Union(carried.Keys))
        {
            var byHour = rows.Where(r => r.LicenseId == license).ToDictionary(r => r.HourStart);
            var last = carried.GetValueOrDefault(license);
            for (var i = 0; i < hours; i++)
            {
                if (byHour.TryGetValue(from.AddHours(i), out var hour))
                {
                    totals[i] += Math.Max(hour.PeakSeatsUsed, last);
                    last = hour.LastSeatsUsed;
                }
                else
                {
                    totals[i] += last;
                }
            }
        }

        var starts = Enumerable.Range(0, hours).Select(i => from.AddHours(i)).ToArray();
        if (format == "csv")
        {
            var csv = new StringBuilder("hour_start,peak_seats_used\n");
            for (var i = 0; i < hours; i++)
            {
                csv.Append(CultureInfo.InvariantCulture, $"{starts[i]:yyyy-MM-ddTHH:mm:ssZ},{totals[i]}\n");
            }

            return File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv", $"{Shell.Organization!.Slug}-seats-7d.csv");
        }

        return new JsonResult(new
        {
            x = starts.Select(s => new DateTimeOffset(s).ToUnixTimeSeconds()),
            series = new[] { new { label = "Seats in use", values = totals, kind = "line" } },
        });
    }

    private static DateTime HourOf(DateTime time) => new(time.Ticks - (time.Ticks % TimeSpan.TicksPerHour), DateTimeKind.Utc);
}

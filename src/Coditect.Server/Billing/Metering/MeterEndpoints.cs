using System.Globalization;
using Coditect.Contracts.Billing;
using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Billing.Metering;

/// <summary>
/// <c>GET /orgs/{org}/billing/usage?from=&amp;to=</c> (ReadBilling): metered use per licence and hour, the figures
/// reported to Stripe. Closed hours come from <c>metered_hours</c>; the hours not closed yet (the running hour, and
/// those within the metering delay) are computed the same way from the leases and marked <c>partial</c>.
/// </summary>
public static class MeterEndpoints
{
    /// <summary>The widest range one call may ask for: a month of hours.</summary>
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(31);

    public static void MapMeterEndpoints(this RouteGroupBuilder billing)
    {
        billing.MapGet("/usage", Get).RequirePermission(Permission.ReadBilling)
            .WithName("getMeteredUsage").WithSummary("Metered seat-hours and acquisitions per licence and hour, with totals")
            .WithQuery(
                QueryParameter.Time("from", "Start of the range, rounded down to the hour. Default: `to` less 24 hours."),
                QueryParameter.Time("to", "End of the range (exclusive). Default: now. At most 31 days after `from`."));
    }

    private static async Task<Results<Ok<MeteredUsage>, ProblemHttpResult>> Get(
        HttpRequest request, CoditectDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Validator();
        var now = clock.GetUtcNow().UtcDateTime;
        var to = ParseTime(request.Query, "to", errors) ?? now;
        var from = SeatTime.HourOf(ParseTime(request.Query, "from", errors) ?? to - TimeSpan.FromDays(1));
        if (errors.IsValid && from >= to)
        {
            errors.Add("from", "must be before to.");
        }
        else if (errors.IsValid && to - from > MaxRange)
        {
            errors.Add("to", "the range may span at most 31 days.");
        }

        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        return TypedResults.Ok(await UsageAsync(db, from, to, now, ct));
    }

    /// <summary>The current organization's metered use in [from, to): closed hours stored, the others computed.</summary>
    public static async Task<MeteredUsage> UsageAsync(CoditectDbContext db, DateTime from, DateTime to, DateTime now, CancellationToken ct)
    {
        var lastClosed = await db.Set<MeterRun>().MaxAsync(r => (DateTime?)r.Hour, ct);
        var open = lastClosed is { } last ? last + SeatTime.Hour : from;
        if (open < from)
        {
            open = from;
        }

        var items = new List<MeteredHour>();
        if (open > from)
        {
            var closed = await db.Set<MeteredHourRow>().AsNoTracking().Where(h => h.Hour >= from && h.Hour < open && h.Hour < to)
                .OrderBy(h => h.Hour).ThenBy(h => h.LicenseId).ToListAsync(ct);
            items.AddRange(closed.Select(h => new MeteredHour(h.LicenseId, Utc(h.Hour), Round(h.SeatHours), h.Acquisitions, false)));
        }

        var openEnd = to < now ? to : now;
        if (open < openEnd)
        {
            var live = await SeatTime.ComputeAsync(db, open, SeatTime.HourOf(openEnd) + (openEnd == SeatTime.HourOf(openEnd) ? TimeSpan.Zero : SeatTime.Hour),
                now, allTenants: false, ct);
            items.AddRange(live.Select(u => new MeteredHour(u.LicenseId, u.Hour, Round(u.SeatHours), u.Acquisitions, true)));
        }

        var totals = new MeteredTotals(Round(items.Sum(i => i.SeatHours)), items.Sum(i => i.Acquisitions));
        return new MeteredUsage(from, to, items, totals);
    }

    private static double Round(double hours) => Math.Round(hours, 6);

    private static DateTime Utc(DateTime time) => DateTime.SpecifyKind(time, DateTimeKind.Utc);

    private static DateTime? ParseTime(IQueryCollection query, string name, Validator errors)
    {
        var raw = query[name].ToString();
        if (raw.Length == 0)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            errors.Add(name, "must be an RFC 3339 time, e.g. 2026-01-31T00:00:00Z.");
            return null;
        }

        return value.UtcDateTime;
    }
}

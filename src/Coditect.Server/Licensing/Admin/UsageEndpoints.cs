using System.Globalization;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Licensing.Admin;

public static class UsageEndpoints
{
    private static readonly TimeSpan MaxHourRange = TimeSpan.FromDays(31);
    private static readonly TimeSpan MaxDayRange = TimeSpan.FromDays(366);

    public static void MapUsage(this RouteGroupBuilder org) =>
        org.MapGet("/licenses/{id:guid}/usage", Get).WithTags("Licences").RequirePermission(Permission.ReadLicenses)
            .WithName("getLicenseUsage").WithSummary("Seat use of a licence over time, by hour or day")
            .WithQuery(
                QueryParameter.Time("from", "Start of the range, rounded down to the bucket. Default: `to` less 24 hours (hour) or 30 days (day)."),
                QueryParameter.Time("to", "End of the range (exclusive). Default: now. At most 31 days by hour, 366 by day."),
                QueryParameter.OneOf("bucket", "The bucket size.", "hour", "day") with { Default = "hour" })
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound);

    /// <summary>
    /// Seat use over time, from the hourly roll-up: <c>?from=&amp;to=&amp;bucket=hour|day</c> (defaults: the last 24
    /// hours by hour, or the last 30 days by day). Every bucket in the range is present; an hour without events
    /// carries the seat count left by the last event before it.
    /// </summary>
    private static async Task<Results<Ok<UsageResponse>, ProblemHttpResult>> Get(
        Guid id, HttpRequest request, CoditectDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Validator();
        var bucket = request.Query["bucket"].ToString() is { Length: > 0 } b ? b : "hour";
        if (bucket is not ("hour" or "day"))
        {
            errors.Add("bucket", "must be hour or day.");
        }

        var step = bucket == "day" ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1);
        var now = clock.GetUtcNow().UtcDateTime;
        var to = ParseTime(request, "to", errors) ?? now;
        var from = ParseTime(request, "from", errors) ?? to - (bucket == "day" ? TimeSpan.FromDays(30) : TimeSpan.FromDays(1));
        from = Floor(from, step);
        if (from >= to)
        {
            errors.Add("from", "must be before to.");
        }
        else if (to - from > (bucket == "day" ? MaxDayRange : MaxHourRange))
        {
            errors.Add("to", $"the range may span at most {(bucket == "day" ? "366 days by day" : "31 days by hour")}.");
        }

        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        if (!await db.Set<License>().AnyAsync(l => l.Id == id, ct))
        {
            return LicenseEndpoints.NotFound();
        }

        var hours = await db.Set<LicenseUsage>().AsNoTracking()
            .Where(u => u.LicenseId == id && u.HourStart >= from && u.HourStart < to)
            .OrderBy(u => u.HourStart).ToListAsync(ct);
        var before = await db.Set<LicenseUsage>().AsNoTracking()
            .Where(u => u.LicenseId == id && u.HourStart < from)
            .OrderByDescending(u => u.HourStart).Select(u => (int?)u.LastSeatsUsed).FirstOrDefaultAsync(ct);

        var buckets = new List<UsageBucket>();
        var carried = before ?? 0;
        var index = 0;
        for (var start = from; start < to; start += step)
        {
            var end = start + step;
            int peak = carried, acquisitions = 0, denials = 0;
            for (; index < hours.Count && hours[index].HourStart < end; index++)
            {
                var hour = hours[index];
                peak = Math.Max(peak, hour.PeakSeatsUsed);
                acquisitions += hour.Acquisitions;
                denials += hour.Denials;
                carried = hour.LastSeatsUsed;
            }

            buckets.Add(new UsageBucket(start, peak, acquisitions, denials));
        }

        return TypedResults.Ok(new UsageResponse(id, from, to, bucket, buckets));
    }

    private static DateTime? ParseTime(HttpRequest request, string name, Validator errors)
    {
        var raw = request.Query[name].ToString();
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

    private static DateTime Floor(DateTime time, TimeSpan step) => new(time.Ticks - (time.Ticks % step.Ticks), DateTimeKind.Utc);
}

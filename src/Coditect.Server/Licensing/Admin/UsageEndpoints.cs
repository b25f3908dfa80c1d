using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coditect.Server.Licensing.Admin;

public static class UsageEndpoints
{
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
        Guid id, HttpRequest request, LicenseAdmin licenses, CancellationToken ct)
    {
        var errors = new Validator();
        var range = licenses.ParseUsageRange(request.Query, errors);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        return await licenses.UsageAsync(id, range, ct) is { } usage ? TypedResults.Ok(usage) : LicenseEndpoints.NotFound();
    }
}

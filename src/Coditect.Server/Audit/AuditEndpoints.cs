using Coditect.Contracts.Audit;
using Coditect.Contracts.Common;
using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coditect.Server.Audit;

public static class AuditEndpoints
{
    public static void MapAudit(this RouteGroupBuilder org) =>
        org.MapGet("/audit-events", List).WithTags("Audit").RequirePermission(Permission.ReadAudit)
            .WithName("listAuditEvents").WithSummary("List audit events, newest first").WithPaging()
            .WithQuery(
                QueryParameter.Text("object_type", "Only events about this object type (exact), e.g. `license`."),
                QueryParameter.Text("object_id", "Only events about this object id (exact)."),
                QueryParameter.Text("action", "Only events with this action (exact), e.g. `membership.updated`."),
                new QueryParameter("actor_id", "Only events by this actor: a user's or an API key's id.") { Format = "uuid" },
                QueryParameter.Time("from", "Only events at or after this time."),
                QueryParameter.Time("to", "Only events before this time."));

    /// <summary>Newest first. Filters (<see cref="AuditFilter"/>): <c>object_type</c>, <c>object_id</c>, <c>action</c>, <c>actor_id</c>, <c>from</c>, <c>to</c>.</summary>
    private static async Task<Results<Ok<PagedList<AuditEventResponse>>, ProblemHttpResult>> List(
        CoditectDbContext db, HttpRequest request, CancellationToken ct)
    {
        var errors = new Validator();
        var paging = Paging.Parse(request, errors);
        var filter = AuditFilter.Parse(request.Query, errors);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        return TypedResults.Ok(await paging.ToListAsync(AuditLog.Query(db, filter), AuditLog.ToResponse, ct));
    }
}

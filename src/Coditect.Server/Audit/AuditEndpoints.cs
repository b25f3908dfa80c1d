using System.Text.Json;
using Coditect.Contracts.Audit;
using Coditect.Contracts.Common;
using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Audit;

public static class AuditEndpoints
{
    private static readonly JsonSerializerOptions ChangeJson = new() { PropertyNameCaseInsensitive = true };

    public static void MapAudit(this RouteGroupBuilder org) =>
        org.MapGet("/audit-events", List).WithTags("Audit").RequirePermission(Permission.ReadAudit)
            .WithName("listAuditEvents").WithSummary("List audit events, newest first").WithPaging()
            .WithQuery(
                QueryParameter.Text("object_type", "Only events about this object type (exact), e.g. `license`."),
                QueryParameter.Text("object_id", "Only events about this object id (exact)."),
                QueryParameter.Text("action", "Only events with this action (exact), e.g. `membership.updated`."));

    /// <summary>Newest first. Filters: <c>object_type</c>, <c>object_id</c>, <c>action</c>.</summary>
    private static async Task<Results<Ok<PagedList<AuditEventResponse>>, ProblemHttpResult>> List(
        CoditectDbContext db, HttpRequest request, CancellationToken ct)
    {
        var errors = new Validator();
        var paging = Paging.Parse(request, errors);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        IQueryable<AuditEvent> events = db.Set<AuditEvent>().AsNoTracking();
        if (request.Query["object_type"].ToString() is { Length: > 0 } objectType)
        {
            events = events.Where(e => e.ObjectType == objectType);
        }

        if (request.Query["object_id"].ToString() is { Length: > 0 } objectId)
        {
            events = events.Where(e => e.ObjectId == objectId);
        }

        if (request.Query["action"].ToString() is { Length: > 0 } action)
        {
            events = events.Where(e => e.Action == action);
        }

        var ordered = events.OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id);
        return TypedResults.Ok(await paging.ToListAsync(ordered, ToResponse, ct));
    }

    private static AuditEventResponse ToResponse(AuditEvent e) => new(
        e.Id, e.Action, e.ObjectType, e.ObjectId, new AuditActor(e.ActorType, e.ActorId),
        JsonSerializer.Deserialize<Dictionary<string, AuditChange>>(e.Changes, ChangeJson) ?? [],
        e.RequestId, DateTime.SpecifyKind(e.OccurredAt, DateTimeKind.Utc));
}

using System.Text.Json.Nodes;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Audit;
using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.Licensing.Ledger;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Licensing.Admin;

public static class SessionEndpoints
{
    public static void MapSessions(this RouteGroupBuilder org)
    {
        org.MapGet("/licenses/{id:guid}/sessions", List).WithTags("Licences").RequirePermission(Permission.ReadLicenses)
            .WithName("listLicenseSessions").WithSummary("List a licence's sessions (leases), newest first").WithPaging()
            .WithQuery(QueryParameter.OneOf("status", "Only sessions with this status.",
                SessionStatuses.Active, SessionStatuses.Expired, SessionStatuses.Released, SessionStatuses.Kicked))
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound);
        org.MapDelete("/sessions/{sessionId:guid}", Kick).WithTags("Licences").RequirePermission(Permission.ManageLicenses)
            .WithName("kickSession").WithSummary("End a session: its seat is free at once")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.SessionNotFound);
    }

    /// <summary>
    /// Newest first. <c>status</c>: active (holding a seat now), expired (lapsed, swept or not), released, kicked.
    /// </summary>
    private static async Task<Results<Ok<PagedList<SessionResponse>>, ProblemHttpResult>> List(
        Guid id, CoditectDbContext db, HttpRequest request, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var errors = new Validator();
        var paging = Paging.Parse(request, errors);
        var status = request.Query["status"].ToString();
        if (status.Length > 0 && status is not (SessionStatuses.Active or SessionStatuses.Expired or SessionStatuses.Released or SessionStatuses.Kicked))
        {
            errors.Add("status", "must be active, expired, released or kicked.");
        }

        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        if (!await db.Set<License>().AnyAsync(l => l.Id == id, ct))
        {
            return LicenseEndpoints.NotFound();
        }

        var sessions = db.Set<LicenseSession>().AsNoTracking().Where(s => s.LicenseId == id);
        sessions = status switch
        {
            SessionStatuses.Active => sessions.Where(s => s.Status == SessionState.Active && s.ExpiresAt > now),
            SessionStatuses.Expired => sessions.Where(s => s.Status == SessionState.Expired || (s.Status == SessionState.Active && s.ExpiresAt <= now)),
            SessionStatuses.Released => sessions.Where(s => s.Status == SessionState.Released),
            SessionStatuses.Kicked => sessions.Where(s => s.Status == SessionState.Kicked),
            _ => sessions,
        };
        var ordered = sessions.OrderByDescending(s => s.StartedAt).ThenByDescending(s => s.Id);
        return TypedResults.Ok(await paging.ToListAsync(ordered, s => s.ToResponse(now), ct));
    }

    /// <summary>
    /// An admin ends a session through the ledger: its seat is free at once and its next heartbeat, on any node, answers
    /// 410 SESSION_RELEASED (the <c>session.kicked</c> event reaches every node's cache through the outbox).
    /// </summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> Kick(
        Guid sessionId, CoditectDbContext db, ISeatLedger ledger, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var kicked = await ledger.KickAsync(db, sessionId, now, ct);
        if (kicked is null)
        {
            return Problems.NotFound(ProblemCodes.SessionNotFound, "The session");
        }

        if (kicked.Freed)
        {
            var session = kicked.Session;
            AuditRecorder.Explicit(db, session.TenantId, "session.kicked", "license_session", session.Id, new JsonObject
            {
                ["status"] = new JsonObject { ["before"] = SessionStatuses.Active, ["after"] = SessionStatuses.Kicked },
                ["license_id"] = new JsonObject { ["before"] = session.LicenseId.ToString(), ["after"] = session.LicenseId.ToString() },
                ["hardware_id"] = new JsonObject { ["before"] = session.HardwareId, ["after"] = session.HardwareId },
            }, now);
            await db.RaiseAsync(LicensingEvents.SessionKicked, session.ToResponse(now), ct);
            await db.SaveChangesAsync(ct);
        }

        return TypedResults.NoContent();
    }

    internal static SessionResponse ToResponse(this LicenseSession s, DateTime now) => new(
        s.Id, s.LicenseId, s.HardwareId, s.UserEmail,
        s.ClientHostname is null && s.ClientAppVersion is null && s.ClientOs is null ? null : new ClientInfo(s.ClientHostname, s.ClientAppVersion, s.ClientOs),
        s.Status == SessionState.Active && s.ExpiresAt <= now ? SessionStatuses.Expired : s.Status.ToString().ToLowerInvariant(),
        s.StartedAt, s.LastHeartbeatAt, s.HeartbeatCount, s.ExpiresAt, s.EndedAt ?? (s.Status == SessionState.Active && s.ExpiresAt <= now ? s.ExpiresAt : null));
}

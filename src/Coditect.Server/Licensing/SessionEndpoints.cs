using System.Text.Json.Nodes;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Audit;
using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Licensing;

public static class SessionEndpoints
{
    public static void MapSessions(this RouteGroupBuilder org)
    {
        org.MapGet("/licenses/{id:guid}/sessions", List).WithTags("Licences").Requires(Permission.ReadLicenses);
        org.MapDelete("/sessions/{sessionId:guid}", Kick).WithTags("Licences").Requires(Permission.ManageLicenses);
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

    /// <summary>An admin ends a session: its seat is free at once and its next heartbeat answers 410 SESSION_RELEASED.</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> Kick(
        Guid sessionId, CoditectDbContext db, ISeatLedger ledger, HttpContext http, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var session = await db.Set<LicenseSession>().FirstOrDefaultAsync(s => s.Id == sessionId, ct);
        if (session is null)
        {
            return Problems.NotFound(ProblemCodes.SessionNotFound, "The session");
        }

        var counted = db.Database.IsNpgsql();
        if (counted)
        {
            // The PostgreSQL ledger's seat count (licenses.seats_held) changes only under the licence lock, taken before
            // any session row (ADR 0009); the session is read again under it.
            await db.Database.ExecuteSqlAsync($"SELECT id FROM licenses WHERE id = {session.LicenseId} FOR NO KEY UPDATE", ct);
            await db.Entry(session).ReloadAsync(ct);
        }

        if (!session.HoldsSeat(now))
        {
            return TypedResults.NoContent(); // already over: nothing to free
        }

        session.Status = SessionState.Kicked;
        session.EndedAt = now;
        var hour = LedgerRules.HourOf(now);
        var usage = await db.Set<LicenseUsage>().FirstOrDefaultAsync(u => u.LicenseId == session.LicenseId && u.HourStart == hour, ct);
        if (usage is null)
        {
            usage = new LicenseUsage { LicenseId = session.LicenseId, TenantId = session.TenantId, HourStart = hour };
            db.Add(usage);
        }

        usage.Kicks++;
        usage.LastSeatsUsed = Math.Max(0, await LicenseEndpoints.SeatsUsedAsync(db, session.LicenseId, now, ct) - 1);
        AuditRecorder.Explicit(db, session.TenantId, "session.kicked", "license_session", session.Id, new JsonObject
        {
            ["status"] = new JsonObject { ["before"] = SessionStatuses.Active, ["after"] = SessionStatuses.Kicked },
            ["license_id"] = new JsonObject { ["before"] = session.LicenseId.ToString(), ["after"] = session.LicenseId.ToString() },
            ["hardware_id"] = new JsonObject { ["before"] = session.HardwareId, ["after"] = session.HardwareId },
        }, now);
        await db.SaveChangesAsync(ct);
        if (counted)
        {
            await db.Database.ExecuteSqlAsync($"UPDATE licenses SET seats_held = seats_held - 1 WHERE id = {session.LicenseId}", ct);
        }

        ForgetWhenCommitted(http, ledger, session.LicenseId, [session.Id]);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Tells the ledger once the request's transaction has committed and before the answer leaves (the unit of work
    /// commits before the response starts); the sweep reconciles if this fails.
    /// </summary>
    internal static void LicenseChangedWhenCommitted(HttpContext http, ISeatLedger ledger, Guid licenseId) =>
        http.Response.OnStarting(() => ledger.LicenseChangedAsync(licenseId));

    internal static void LicenseDeletedWhenCommitted(HttpContext http, ISeatLedger ledger, Guid licenseId) =>
        http.Response.OnStarting(() => ledger.LicenseDeletedAsync(licenseId));

    internal static void ForgetWhenCommitted(HttpContext http, ISeatLedger ledger, Guid licenseId, IReadOnlyCollection<Guid> sessionIds) =>
        http.Response.OnStarting(() => ledger.ForgetAsync(licenseId, sessionIds, CancellationToken.None));

    private static SessionResponse ToResponse(this LicenseSession s, DateTime now) => new(
        s.Id, s.LicenseId, s.HardwareId, s.UserEmail,
        s.ClientHostname is null && s.ClientAppVersion is null && s.ClientOs is null ? null : new ClientInfo(s.ClientHostname, s.ClientAppVersion, s.ClientOs),
        s.Status == SessionState.Active && s.ExpiresAt <= now ? SessionStatuses.Expired : s.Status.ToString().ToLowerInvariant(),
        s.StartedAt, s.LastHeartbeatAt, s.HeartbeatCount, s.ExpiresAt, s.EndedAt ?? (s.Status == SessionState.Active && s.ExpiresAt <= now ? s.ExpiresAt : null));
}

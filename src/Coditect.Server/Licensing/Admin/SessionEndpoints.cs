using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

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
        Guid id, LicenseAdmin licenses, HttpRequest request, CancellationToken ct)
    {
        var errors = new Validator();
        var paging = Paging.Parse(request, errors);
        var status = LicenseAdmin.ParseSessionStatus(request.Query, errors);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        return await licenses.SessionsAsync(id, status, paging, ct) is { } page ? TypedResults.Ok(page) : LicenseEndpoints.NotFound();
    }

    /// <summary>An admin ends a session (<see cref="LicenseAdmin.KickAsync"/>); one already over answers 204 as well.</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> Kick(Guid sessionId, LicenseAdmin licenses, CancellationToken ct) =>
        await licenses.KickAsync(sessionId, ct) is null
            ? Problems.NotFound(ProblemCodes.SessionNotFound, "The session")
            : TypedResults.NoContent();

    internal static SessionResponse ToResponse(this LicenseSession s, DateTime now) => new(
        s.Id, s.LicenseId, s.HardwareId, s.UserEmail,
        s.ClientHostname is null && s.ClientAppVersion is null && s.ClientOs is null ? null : new ClientInfo(s.ClientHostname, s.ClientAppVersion, s.ClientOs),
        s.Status == SessionState.Active && s.ExpiresAt <= now ? SessionStatuses.Expired : s.Status.ToString().ToLowerInvariant(),
        s.StartedAt, s.LastHeartbeatAt, s.HeartbeatCount, s.ExpiresAt, s.EndedAt ?? (s.Status == SessionState.Active && s.ExpiresAt <= now ? s.ExpiresAt : null),
        s.BorrowedUntil);
}

using Coditect.Contracts.Common;
using Coditect.Contracts.Identity;
using Coditect.Contracts.Organizations;
using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Organizations;

/// <summary>
/// Invitations over HTTP: an admin invites an email with a role and gets a single-use token (sent by email once email
/// exists); the signed-in user with that email accepts it and becomes a member. The rules are in <see cref="Invitations"/>.
/// </summary>
public static class InvitationEndpoints
{
    public static void MapInvitations(this RouteGroupBuilder org)
    {
        var invitations = org.MapGroup("/invitations").WithTags("Members");
        invitations.MapGet("/", ListPending).RequirePermission(Permission.ManageMembers)
            .WithName("listInvitations").WithSummary("List pending invitations, newest first").WithPaging();
        invitations.MapPost("/", Create).RequirePermission(Permission.ManageMembers)
            .WithName("createInvitation").WithSummary("Invite an email with a role")
            .ProducesProblems(StatusCodes.Status402PaymentRequired, ProblemCodes.QuotaExceeded)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.AlreadyMember);
        invitations.MapDelete("/{id:guid}", Revoke).RequirePermission(Permission.ManageMembers)
            .WithName("revokeInvitation").WithSummary("Revoke a pending invitation")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.InvitationNotFound);
    }

    public static void MapInvitationAcceptance(this RouteGroupBuilder api) =>
        api.MapPost("/invitations/{token}/accept", Accept).WithTags("Members").RequireAuthorization()
            .WithName("acceptInvitation").WithSummary("Accept an invitation as the invited person")
            .ProducesProblems(StatusCodes.Status403Forbidden, ProblemCodes.UserTokenRequired, ProblemCodes.InvitationNotForYou)
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.InvitationNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.AlreadyMember);

    private static async Task<Results<Ok<PagedList<InvitationResponse>>, ProblemHttpResult>> ListPending(
        Invitations invitations, HttpRequest request, CancellationToken ct)
    {
        var errors = new Validator();
        var paging = Paging.Parse(request, errors);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        return TypedResults.Ok(await paging.ToListAsync(invitations.PendingList(), i => i.ToResponse(token: null), ct));
    }

    private static async Task<Results<Created<InvitationResponse>, ProblemHttpResult>> Create(
        CreateInvitationRequest body, OrgScope scope, Invitations invitations, CancellationToken ct)
    {
        var created = await invitations.CreateAsync(body.Email, body.Role, ct);
        return created.Value is { } invitation
            ? TypedResults.Created($"/api/v1/orgs/{scope.Organization.Slug}/invitations/{invitation.Id}", invitation)
            : created.Refusal!.ToProblem();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Revoke(Guid id, Invitations invitations, CancellationToken ct) =>
        await invitations.RevokeAsync(id, ct) is { } refusal ? refusal.ToProblem() : TypedResults.NoContent();

    private static async Task<Results<Ok<MyOrganization>, ProblemHttpResult>> Accept(string token, Invitations invitations, CancellationToken ct)
    {
        var accepted = await invitations.AcceptAsync(token, ct);
        return accepted.Value is { } joined
            ? TypedResults.Ok(new MyOrganization(joined.Organization.Id, joined.Organization.Slug, joined.Organization.Name, joined.Role.ToWire()))
            : accepted.Refusal!.ToProblem();
    }
}

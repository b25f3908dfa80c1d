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
/// Invitations: an admin invites an email with a role and gets a single-use token (sent by email once email
/// exists); the signed-in user with that email accepts it and becomes a member.
/// </summary>
public static class InvitationEndpoints
{
    private const string TokenPrefix = "cdi_";

    public static void MapInvitations(this RouteGroupBuilder org)
    {
        var invitations = org.MapGroup("/invitations").WithTags("Members");
        invitations.MapGet("/", ListPending).RequirePermission(Permission.ManageMembers)
            .WithName("listInvitations").WithSummary("List pending invitations, newest first").WithPaging();
        invitations.MapPost("/", Create).RequirePermission(Permission.ManageMembers)
            .WithName("createInvitation").WithSummary("Invite an email with a role")
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
        CoditectDbContext db, HttpRequest request, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Validator();
        var paging = Paging.Parse(request, errors);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var pending = db.Set<Invitation>().Where(i => i.AcceptedAt == null && i.ExpiresAt > now)
            .OrderByDescending(i => i.CreatedAt).ThenByDescending(i => i.Id);
        return TypedResults.Ok(await paging.ToListAsync(pending, i => i.ToResponse(token: null), ct));
    }

    private static async Task<Results<Created<InvitationResponse>, ProblemHttpResult>> Create(
        CreateInvitationRequest body, OrgScope scope, TenantContext tenant, CoditectDbContext db,
        IOptions<IdentityOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Validator();
        var email = errors.Email("email", body.Email);
        if (!Roles.TryParse(body.Role, out var role))
        {
            errors.Add("role", "must be one of owner, admin, member, viewer.");
        }

        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        if (!scope.Role.CanAssign(role))
        {
            return Problems.Forbidden("Only an owner can invite an owner.");
        }

        var normalized = User.Normalize(email);
        var alreadyMember = await db.Set<Membership>()
            .Join(db.Set<User>(), m => m.UserId, u => u.Id, (m, u) => u.NormalizedEmail)
            .AnyAsync(e => e == normalized, ct);
        if (alreadyMember)
        {
            return Problems.Conflict(ProblemCodes.AlreadyMember, "That person is already a member.");
        }

        var token = OpaqueToken.New(TokenPrefix);
        var invitation = new Invitation
        {
            Email = normalized,
            Role = role,
            TokenHash = OpaqueToken.Hash(token),
            InvitedByUserId = tenant.ApiKeyId is null ? tenant.UserId : null,
            ExpiresAt = clock.GetUtcNow().UtcDateTime.AddDays(options.Value.InvitationLifetimeDays),
        };
        db.Add(invitation);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/orgs/{scope.Organization.Slug}/invitations/{invitation.Id}", invitation.ToResponse(token));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Revoke(Guid id, CoditectDbContext db, CancellationToken ct)
    {
        var invitation = await db.Set<Invitation>().FirstOrDefaultAsync(i => i.Id == id && i.AcceptedAt == null, ct);
        if (invitation is null)
        {
            return Problems.NotFound(ProblemCodes.InvitationNotFound, "The invitation");
        }

        db.Remove(invitation);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<MyOrganization>, ProblemHttpResult>> Accept(
        string token, TenantContext tenant, TenantScope scope, CoditectDbContext db, TimeProvider clock, CancellationToken ct)
    {
        if (tenant.UserId is not { } userId || tenant.ApiKeyId is not null)
        {
            return Problems.Of(StatusCodes.Status403Forbidden, ProblemCodes.UserTokenRequired, "Sign in as the invited person to accept.");
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var hash = OpaqueToken.Hash(token);
        // The token names its tenant, so it is looked up across tenants; nothing else is read in this scope.
        var invitation = await db.RunAsSystemAsync(
            () => db.Set<Invitation>().IgnoreQueryFilters().AsNoTracking()
                .FirstOrDefaultAsync(i => i.TokenHash == hash && i.AcceptedAt == null && i.ExpiresAt > now, ct), ct);
        if (invitation is null)
        {
            return Problems.NotFound(ProblemCodes.InvitationNotFound, "The invitation (or it was used or has expired)");
        }

        var user = await db.Set<User>().SingleAsync(u => u.Id == userId, ct);
        if (user.NormalizedEmail != invitation.Email)
        {
            return Problems.Of(StatusCodes.Status403Forbidden, ProblemCodes.InvitationNotForYou,
                "This invitation was sent to another email address.");
        }

        await scope.EnterAsync(invitation.TenantId, ct);
        if (await db.Set<Membership>().AnyAsync(m => m.UserId == userId, ct))
        {
            return Problems.Conflict(ProblemCodes.AlreadyMember, "You are already a member of this organization.");
        }

        // Spending the token is a conditional update: of two concurrent accepts, one wins.
        var spent = await db.Set<Invitation>()
            .Where(i => i.Id == invitation.Id && i.AcceptedAt == null)
            .ExecuteUpdateAsync(i => i.SetProperty(x => x.AcceptedAt, now).SetProperty(x => x.AcceptedByUserId, userId), ct);
        if (spent == 0)
        {
            return Problems.NotFound(ProblemCodes.InvitationNotFound, "The invitation (or it was used or has expired)");
        }

        // ExecuteUpdate bypasses the change tracker and so the audit trail: make the same change through it as well.
        db.Attach(invitation);
        invitation.AcceptedAt = now;
        invitation.AcceptedByUserId = userId;
        var membership = new Membership { UserId = userId, Role = invitation.Role };
        db.Add(membership);
        await db.SaveChangesAsync(ct);
        var organization = await db.Set<Organization>().SingleAsync(o => o.Id == invitation.TenantId, ct);
        return TypedResults.Ok(new MyOrganization(organization.Id, organization.Slug, organization.Name, membership.Role.ToWire()));
    }

    private static InvitationResponse ToResponse(this Invitation i, string? token) =>
        new(i.Id, i.Email, i.Role.ToWire(), i.ExpiresAt, i.CreatedAt, token);
}

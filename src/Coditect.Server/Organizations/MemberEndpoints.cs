using Coditect.Contracts.Common;
using Coditect.Contracts.Organizations;
using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Organizations;

public static class MemberEndpoints
{
    public static void MapMembers(this RouteGroupBuilder org)
    {
        var members = org.MapGroup("/members").WithTags("Members");
        members.MapGet("/", List).RequirePermission(Permission.ReadMembers)
            .WithName("listMembers").WithSummary("List members, oldest first").WithPaging();
        members.MapPatch("/{userId:guid}", Update).RequirePermission(Permission.ManageMembers)
            .WithName("updateMember").WithSummary("Change a member's role")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.MemberNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.LastOwner);
        // Removal is checked in the handler: members may always remove themselves (leave).
        members.MapDelete("/{userId:guid}", Remove).RequirePermission(Permission.ReadOrganization)
            .WithName("removeMember").WithSummary("Remove a member, or leave the organization")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.MemberNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.LastOwner);
    }

    private static async Task<Results<Ok<PagedList<MemberResponse>>, ProblemHttpResult>> List(
        CoditectDbContext db, HttpRequest request, CancellationToken ct)
    {
        var errors = new Validator();
        var paging = Paging.Parse(request, errors);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        var members = db.Set<Membership>()
            .Join(db.Set<User>(), m => m.UserId, u => u.Id, (m, u) => new { Membership = m, User = u })
            .OrderBy(x => x.Membership.CreatedAt).ThenBy(x => x.Membership.Id);
        return TypedResults.Ok(await paging.ToListAsync(members, x => x.Membership.ToResponse(x.User), ct));
    }

    private static async Task<Results<Ok<MemberResponse>, ProblemHttpResult>> Update(
        Guid userId, UpdateMemberRequest body, OrgScope scope, CoditectDbContext db, CancellationToken ct)
    {
        if (!Roles.TryParse(body.Role, out var role))
        {
            return Problems.Validation("role", "must be one of owner, admin, member, viewer.");
        }

        var membership = await LockedMembershipAsync(db, scope, userId, ct);
        if (membership is null)
        {
            return Problems.NotFound(ProblemCodes.MemberNotFound, "The member");
        }

        if (!scope.Role.CanAssign(role) || !scope.Role.CanAssign(membership.Role))
        {
            return Problems.Forbidden("Only an owner can grant or take away the owner role.");
        }

        if (membership.Role == Role.Owner && role != Role.Owner && await IsLastOwnerAsync(db, ct))
        {
            return LastOwner();
        }

        membership.Role = role;
        await db.SaveChangesAsync(ct);
        var user = await db.Set<User>().SingleAsync(u => u.Id == userId, ct);
        return TypedResults.Ok(membership.ToResponse(user));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Remove(
        Guid userId, OrgScope scope, TenantContext tenant, CoditectDbContext db, CancellationToken ct)
    {
        var membership = await LockedMembershipAsync(db, scope, userId, ct);
        if (membership is null)
        {
            return Problems.NotFound(ProblemCodes.MemberNotFound, "The member");
        }

        var leaving = tenant.ApiKeyId is null && tenant.UserId == userId;
        if (!leaving && !scope.Role.CanAssign(membership.Role))
        {
            return Problems.Forbidden();
        }

        if (membership.Role == Role.Owner && await IsLastOwnerAsync(db, ct))
        {
            return LastOwner();
        }

        db.Remove(membership);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Reads the membership after locking the organization row, so two owners demoting each other at once are
    /// serialized and the last-owner rule holds (SQLite serializes writers already).
    /// </summary>
    private static async Task<Membership?> LockedMembershipAsync(CoditectDbContext db, OrgScope scope, Guid userId, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync($"select 1 from organizations where id = {scope.Organization.Id} for update", ct);
        }

        return await db.Set<Membership>().FirstOrDefaultAsync(m => m.UserId == userId, ct);
    }

    private static async Task<bool> IsLastOwnerAsync(CoditectDbContext db, CancellationToken ct) =>
        await db.Set<Membership>().CountAsync(m => m.Role == Role.Owner, ct) <= 1;

    private static ProblemHttpResult LastOwner() =>
        Problems.Conflict(ProblemCodes.LastOwner, "An organization needs at least one owner: make another member owner first.");

    public static MemberResponse ToResponse(this Membership m, User u) => new(u.Id, u.Email, u.Name, m.Role.ToWire(), m.CreatedAt);
}

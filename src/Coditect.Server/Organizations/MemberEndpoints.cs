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
        Guid userId, UpdateMemberRequest body, Memberships memberships, CancellationToken ct)
    {
        var changed = await memberships.ChangeRoleAsync(userId, body.Role, ct);
        return changed.Refusal is { } refusal ? refusal.ToProblem() : TypedResults.Ok(changed.Value!);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Remove(Guid userId, Memberships memberships, CancellationToken ct) =>
        await memberships.RemoveAsync(userId, ct) is { } refusal ? refusal.ToProblem() : TypedResults.NoContent();

    public static MemberResponse ToResponse(this Membership m, User u) => new(u.Id, u.Email, u.Name, m.Role.ToWire(), m.CreatedAt);
}

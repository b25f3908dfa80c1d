using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coditect.Server.DevContext.Teams;

/// <summary><c>/orgs/{org}/teams</c>: every member reads (ReadWork); owners, admins and members change (ManageWork).</summary>
public static class TeamEndpoints
{
    public static void MapTeams(this RouteGroupBuilder org)
    {
        var teams = org.MapGroup("/teams").WithTags("Teams");
        teams.MapPost("/", Create).RequirePermission(Permission.ManageWork).WithLongText("description")
            .WithName("createTeam").WithSummary("Create a team")
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.NameTaken);
        teams.MapGet("/", List).RequirePermission(Permission.ReadWork)
            .WithName("listTeams").WithSummary("List teams with their members")
            .WithKeysetPaging("name", [.. TeamAdmin.Sorts.Names])
            .WithQuery(QueryParameter.Text("search", "Only teams whose name or slug contains this, case-insensitive.", maxLength: 200));
        teams.MapGet("/{id:guid}", Get).RequirePermission(Permission.ReadWork)
            .WithName("getTeam").WithSummary("Get a team with its members")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TeamNotFound);
        teams.MapPatch("/{id:guid}", Update).RequirePermission(Permission.ManageWork).WithLongText("description")
            .WithName("updateTeam").WithSummary("Change the members of a team that are sent")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TeamNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.NameTaken);
        teams.MapDelete("/{id:guid}", Delete).RequirePermission(Permission.ManageWork)
            .WithName("deleteTeam").WithSummary("Delete a team; its projects stay, without a team")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TeamNotFound);
        teams.MapPut("/{id:guid}/members/{userId:guid}", PutMember).RequirePermission(Permission.ManageWork)
            .WithName("putTeamMember").WithSummary("Add an organization member to a team, or change their team role")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TeamNotFound);
        teams.MapDelete("/{id:guid}/members/{userId:guid}", RemoveMember).RequirePermission(Permission.ManageWork)
            .WithName("removeTeamMember").WithSummary("Take a member out of a team")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TeamNotFound, ProblemCodes.MemberNotFound);
    }

    private static async Task<Results<Created<TeamResponse>, ProblemHttpResult>> Create(
        CreateTeamRequest body, OrgScope scope, TeamAdmin teams, CancellationToken ct) =>
        Answers.Created(await teams.CreateAsync(body, ct), t => $"/api/v1/orgs/{scope.Organization.Slug}/teams/{t.Id}");

    private static async Task<Results<Ok<CursorPage<TeamResponse>>, ProblemHttpResult>> List(HttpRequest request, TeamAdmin teams, CancellationToken ct)
    {
        var errors = new Validator();
        var keyset = Keyset.Parse(request, errors, TeamAdmin.Sorts);
        var search = Query.Search(request, errors);
        return errors.IsValid ? TypedResults.Ok(await teams.ListAsync(search, keyset, ct)) : Problems.Validation(errors);
    }

    private static async Task<Results<Ok<TeamResponse>, ProblemHttpResult>> Get(Guid id, TeamAdmin teams, CancellationToken ct) =>
        await teams.GetAsync(id, ct) is { } team ? TypedResults.Ok(team) : Answers.TeamNotFound().ToProblem();

    private static async Task<Results<Ok<TeamResponse>, ProblemHttpResult>> Update(Guid id, UpdateTeamRequest body, TeamAdmin teams, CancellationToken ct) =>
        Answers.Ok(await teams.UpdateAsync(id, body, ct));

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid id, TeamAdmin teams, CancellationToken ct) =>
        Answers.NoContent(await teams.DeleteAsync(id, ct));

    private static async Task<Results<Ok<TeamResponse>, ProblemHttpResult>> PutMember(
        Guid id, Guid userId, PutTeamMemberRequest body, TeamAdmin teams, CancellationToken ct) =>
        Answers.Ok(await teams.PutMemberAsync(id, userId, body.Role, ct));

    private static async Task<Results<Ok<TeamResponse>, ProblemHttpResult>> RemoveMember(Guid id, Guid userId, TeamAdmin teams, CancellationToken ct) =>
        Answers.Ok(await teams.RemoveMemberAsync(id, userId, ct));
}

using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coditect.Server.DevContext.Repositories;

/// <summary>
/// <c>/orgs/{org}/repositories</c>, their commits (sync and list) and sync state. Every member reads (ReadWork);
/// owners, admins and members change and sync (ManageWork).
/// </summary>
public static class RepositoryEndpoints
{
    public static void MapRepositories(this RouteGroupBuilder org)
    {
        var repositories = org.MapGroup("/repositories").WithTags("Repositories");
        repositories.MapPost("/", Create).RequirePermission(Permission.ManageWork)
            .WithName("createRepository").WithSummary("Register a git repository")
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.NameTaken);
        repositories.MapGet("/", List).RequirePermission(Permission.ReadWork)
            .WithName("listRepositories").WithSummary("List repositories")
            .WithKeysetPaging("name", [.. RepositoryAdmin.Sorts.Names])
            .WithQuery(
                QueryParameter.OneOf("provider", "Only repositories of this provider.", [.. RepositoryAdmin.Providers]),
                new QueryParameter("project_id", "Only the repositories linked to this project.") { Format = "uuid" },
                QueryParameter.Text("name", "Only the repository with exactly this name.", maxLength: 200),
                QueryParameter.Text("search", "Only repositories whose name contains this, case-insensitive.", maxLength: 200));
        repositories.MapGet("/{id:guid}", Get).RequirePermission(Permission.ReadWork)
            .WithName("getRepository").WithSummary("Get a repository")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.RepositoryNotFound);
        repositories.MapPatch("/{id:guid}", Update).RequirePermission(Permission.ManageWork)
            .WithName("updateRepository").WithSummary("Change the members of a repository that are sent")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.RepositoryNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.NameTaken);
        repositories.MapDelete("/{id:guid}", Delete).RequirePermission(Permission.ManageWork)
            .WithName("deleteRepository").WithSummary("Delete a repository with its commits")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.RepositoryNotFound);
        repositories.MapPost("/{id:guid}/commits", Sync).RequirePermission(Permission.ManageWork)
            .WithLongText("commits[].message").WithBodyLimit(CommitSync.BodyLimit)
            .WithName("syncCommits").WithSummary("Record up to 1,000 commits, idempotently by SHA; messages naming KEY-42 link to that task")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.RepositoryNotFound);
        repositories.MapGet("/{id:guid}/commits", Commits).RequirePermission(Permission.ReadWork)
            .WithName("listCommits").WithSummary("List a repository's commits, newest first")
            .WithKeysetPaging("-committed_at", [.. CommitSync.Sorts.Names])
            .WithQuery(
                QueryParameter.Text("branch", "Only commits read from this branch.", maxLength: 255),
                QueryParameter.Text("author_email", "Only commits by this author e-mail (exact).", maxLength: 320),
                QueryParameter.Text("search", "Only commits whose message contains this, case-insensitive.", maxLength: 200),
                QueryParameter.Time("from", "Only commits at or after this commit time."),
                QueryParameter.Time("to", "Only commits before this commit time."))
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.RepositoryNotFound);
        repositories.MapGet("/{id:guid}/sync-state", SyncState).RequirePermission(Permission.ReadWork)
            .WithName("getSyncState").WithSummary("The newest commit the server knows per branch, where an incremental sync starts")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.RepositoryNotFound);
    }

    private static async Task<Results<Created<RepositoryResponse>, ProblemHttpResult>> Create(
        CreateRepositoryRequest body, OrgScope scope, RepositoryAdmin repositories, CancellationToken ct) =>
        Answers.Created(await repositories.CreateAsync(body, ct), r => $"/api/v1/orgs/{scope.Organization.Slug}/repositories/{r.Id}");

    private static async Task<Results<Ok<CursorPage<RepositoryResponse>>, ProblemHttpResult>> List(
        HttpRequest request, RepositoryAdmin repositories, CancellationToken ct)
    {
        var errors = new Validator();
        var keyset = Keyset.Parse(request, errors, RepositoryAdmin.Sorts);
        var filter = new RepositoryAdmin.RepositoryFilter(
            Query.OneOf(request, errors, "provider", RepositoryAdmin.Providers), Query.Id(request, errors, "project_id"),
            Query.Text(request, "name"), Query.Search(request, errors));
        return errors.IsValid ? TypedResults.Ok(await repositories.ListAsync(filter, keyset, ct)) : Problems.Validation(errors);
    }

    private static async Task<Results<Ok<RepositoryResponse>, ProblemHttpResult>> Get(Guid id, RepositoryAdmin repositories, CancellationToken ct) =>
        await repositories.GetAsync(id, ct) is { } found ? TypedResults.Ok(found) : Answers.RepositoryNotFound().ToProblem();

    private static async Task<Results<Ok<RepositoryResponse>, ProblemHttpResult>> Update(
        Guid id, UpdateRepositoryRequest body, RepositoryAdmin repositories, CancellationToken ct) =>
        Answers.Ok(await repositories.UpdateAsync(id, body, ct));

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid id, RepositoryAdmin repositories, CancellationToken ct) =>
        Answers.NoContent(await repositories.DeleteAsync(id, ct));

    private static async Task<Results<Ok<CommitBatchResponse>, ProblemHttpResult>> Sync(Guid id, CommitBatchRequest body, CommitSync sync, CancellationToken ct) =>
        Answers.Ok(await sync.SyncAsync(id, body, ct));

    private static async Task<Results<Ok<CursorPage<CommitResponse>>, ProblemHttpResult>> Commits(
        Guid id, HttpRequest request, CommitSync sync, CancellationToken ct)
    {
        var errors = new Validator();
        var keyset = Keyset.Parse(request, errors, CommitSync.Sorts);
        var filter = new CommitSync.CommitFilter(Query.Text(request, "branch"), Query.Text(request, "author_email"), Query.Search(request, errors),
            Query.Time(request, errors, "from"), Query.Time(request, errors, "to"));
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        return await sync.ListAsync(id, filter, keyset, ct) is { } page ? TypedResults.Ok(page) : Answers.RepositoryNotFound().ToProblem();
    }

    private static async Task<Results<Ok<SyncStateResponse>, ProblemHttpResult>> SyncState(Guid id, CommitSync sync, CancellationToken ct) =>
        await sync.SyncStateAsync(id, ct) is { } state ? TypedResults.Ok(state) : Answers.RepositoryNotFound().ToProblem();
}

using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.DevContext.Stats;
using Coditect.Server.DevContext.Tasks;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coditect.Server.DevContext.Projects;

/// <summary>
/// <c>/orgs/{org}/projects</c> with their task lists, markdown import and export, and statistics. Every member reads
/// (ReadWork); owners, admins and members change (ManageWork); owners and admins delete a project (DeleteProjects).
/// </summary>
public static class ProjectEndpoints
{
    public static void MapProjects(this RouteGroupBuilder org)
    {
        var projects = org.MapGroup("/projects").WithTags("Projects");
        projects.MapPost("/", Create).RequirePermission(Permission.ManageWork).WithLongText("description")
            .WithName("createProject").WithSummary("Create a project; its key is derived from the name unless given")
            .ProducesProblems(StatusCodes.Status402PaymentRequired, ProblemCodes.QuotaExceeded)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.NameTaken, ProblemCodes.ProjectKeyTaken);
        projects.MapGet("/", List).RequirePermission(Permission.ReadWork)
            .WithName("listProjects").WithSummary("List projects")
            .WithKeysetPaging("name", [.. ProjectAdmin.Sorts.Names])
            .WithQuery(
                QueryParameter.OneOf("status", "Only projects with this status.", ProjectStatuses.Active, ProjectStatuses.Archived),
                new QueryParameter("team_id", "Only the projects of this team.") { Format = "uuid" },
                QueryParameter.Text("search", "Only projects whose name, slug or key contains this, case-insensitive.", maxLength: 200));
        projects.MapGet("/{id:guid}", Get).RequirePermission(Permission.ReadWork)
            .WithName("getProject").WithSummary("Get a project")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ProjectNotFound);
        projects.MapPatch("/{id:guid}", Update).RequirePermission(Permission.ManageWork).WithLongText("description")
            .WithName("updateProject").WithSummary("Change the members of a project that are sent; a new key keeps the old one as an alias")
            .Accepts<UpdateProjectRequest>("application/json")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ProjectNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.NameTaken, ProblemCodes.ProjectKeyTaken);
        projects.MapDelete("/{id:guid}", Delete).RequirePermission(Permission.DeleteProjects)
            .WithName("deleteProject").WithSummary("Delete a project with its plan, task lists and tasks; its repositories stay")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ProjectNotFound);

        projects.MapGet("/{id:guid}/task-lists", Lists).RequirePermission(Permission.ReadWork)
            .WithName("listTaskLists").WithSummary("List a project's task lists in board order, with task counts")
            .WithKeysetPaging("position", [.. TaskLists.Sorts.Names])
            .WithQuery(QueryParameter.Text("search", "Only lists whose title contains this, case-insensitive.", maxLength: 200))
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ProjectNotFound);
        projects.MapPost("/{id:guid}/task-lists", CreateList).RequirePermission(Permission.ManageWork)
            .WithName("createTaskList").WithSummary("Add a task list (at the end unless a position is given)")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ProjectNotFound);
        projects.MapPatch("/{id:guid}/task-lists/{listId:guid}", UpdateList).RequirePermission(Permission.ManageWork)
            .WithName("updateTaskList").WithSummary("Rename a task list or move it to another position")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TaskListNotFound);
        projects.MapDelete("/{id:guid}/task-lists/{listId:guid}", DeleteList).RequirePermission(Permission.ManageWork)
            .WithName("deleteTaskList").WithSummary("Delete a task list with its tasks")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TaskListNotFound);

        projects.MapPost("/{id:guid}/import", Import).RequirePermission(Permission.ManageWork).WithLongText("markdown")
            .WithBodyLimit(CommitImportLimit)
            .WithName("importChecklist").WithSummary("Import a markdown checklist: headings become task lists, `- [ ]` items tasks, nested items sub-tasks")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ProjectNotFound);
        projects.MapGet("/{id:guid}/export", Export).RequirePermission(Permission.ReadWork)
            .WithName("exportChecklist").WithSummary("Export a project's task lists as a markdown checklist (import reads it back)")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ProjectNotFound);
        projects.MapGet("/{id:guid}/stats", Stats).RequirePermission(Permission.ReadWork)
            .WithName("getProjectStats").WithSummary("A project's statistics: tasks by status, blocked, overdue, commits per week, contributors")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ProjectNotFound);
        org.MapGet("/dev-stats", DevStats).WithTags("Projects").RequirePermission(Permission.ReadWork)
            .WithName("getDevStats").WithSummary("The organization's Dev Context totals: projects, tasks, commits, active members");
    }

    /// <summary>A markdown import is a batch like a commit batch: 10,000 items fit many times over.</summary>
    private const long CommitImportLimit = 16 * 1024 * 1024;

    private static async Task<Results<Created<ProjectResponse>, ProblemHttpResult>> Create(
        CreateProjectRequest body, OrgScope scope, ProjectAdmin projects, CancellationToken ct) =>
        Answers.Created(await projects.CreateAsync(body, ct), p => $"/api/v1/orgs/{scope.Organization.Slug}/projects/{p.Id}");

    private static async Task<Results<Ok<CursorPage<ProjectResponse>>, ProblemHttpResult>> List(HttpRequest request, ProjectAdmin projects, CancellationToken ct)
    {
        var errors = new Validator();
        var keyset = Keyset.Parse(request, errors, ProjectAdmin.Sorts);
        var filter = new ProjectAdmin.ProjectFilter(
            Query.OneOf(request, errors, "status", [ProjectStatuses.Active, ProjectStatuses.Archived]),
            Query.Id(request, errors, "team_id"),
            Query.Search(request, errors));
        return errors.IsValid ? TypedResults.Ok(await projects.ListAsync(filter, keyset, ct)) : Problems.Validation(errors);
    }

    private static async Task<Results<Ok<ProjectResponse>, ProblemHttpResult>> Get(Guid id, ProjectAdmin projects, CancellationToken ct) =>
        await projects.GetAsync(id, ct) is { } project ? TypedResults.Ok(project) : Answers.ProjectNotFound().ToProblem();

    private static async Task<Results<Ok<ProjectResponse>, ProblemHttpResult>> Update(Guid id, JsonElement body, ProjectAdmin projects, CancellationToken ct) =>
        Answers.Ok(await projects.UpdateAsync(id, body, ct));

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid id, ProjectAdmin projects, CancellationToken ct) =>
        Answers.NoContent(await projects.DeleteAsync(id, ct));

    private static async Task<Results<Ok<CursorPage<TaskListResponse>>, ProblemHttpResult>> Lists(
        Guid id, HttpRequest request, TaskLists lists, CancellationToken ct)
    {
        var errors = new Validator();
        var keyset = Keyset.Parse(request, errors, TaskLists.Sorts);
        var search = Query.Search(request, errors);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        return await lists.ListAsync(id, search, keyset, ct) is { } page ? TypedResults.Ok(page) : Answers.ProjectNotFound().ToProblem();
    }

    private static async Task<Results<Created<TaskListResponse>, ProblemHttpResult>> CreateList(
        Guid id, CreateTaskListRequest body, OrgScope scope, TaskLists lists, CancellationToken ct) =>
        Answers.Created(await lists.CreateAsync(id, body, ct), l => $"/api/v1/orgs/{scope.Organization.Slug}/projects/{id}/task-lists/{l.Id}");

    private static async Task<Results<Ok<TaskListResponse>, ProblemHttpResult>> UpdateList(
        Guid id, Guid listId, UpdateTaskListRequest body, TaskLists lists, CancellationToken ct) =>
        Answers.Ok(await lists.UpdateAsync(id, listId, body, ct));

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteList(Guid id, Guid listId, TaskLists lists, CancellationToken ct) =>
        Answers.NoContent(await lists.DeleteAsync(id, listId, ct));

    private static async Task<Results<Ok<ImportResponse>, ProblemHttpResult>> Import(Guid id, ImportMarkdownRequest body, TaskLists lists, CancellationToken ct) =>
        Answers.Ok(await lists.ImportAsync(id, body.Markdown, ct));

    private static async Task<Results<Ok<ExportResponse>, ProblemHttpResult>> Export(Guid id, TaskLists lists, CancellationToken ct) =>
        await lists.ExportAsync(id, ct) is { } export ? TypedResults.Ok(export) : Answers.ProjectNotFound().ToProblem();

    private static async Task<Results<Ok<ProjectStatsResponse>, ProblemHttpResult>> Stats(Guid id, WorkStats stats, CancellationToken ct) =>
        await stats.ProjectAsync(id, ct) is { } found ? TypedResults.Ok(found) : Answers.ProjectNotFound().ToProblem();

    private static async Task<Ok<DevStatsResponse>> DevStats(WorkStats stats, CancellationToken ct) => TypedResults.Ok(await stats.OrganizationAsync(ct));
}

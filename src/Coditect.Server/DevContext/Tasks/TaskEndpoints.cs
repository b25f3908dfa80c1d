using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.DevContext.Repositories;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coditect.Server.DevContext.Tasks;

/// <summary>
/// <c>/orgs/{org}/tasks</c>: every task of the organization, addressed by id or by reference (<c>KEY-42</c>), with its
/// actions and dependencies. Every member reads (ReadWork); owners, admins and members change (ManageWork).
/// </summary>
public static class TaskEndpoints
{
    public static void MapTasks(this RouteGroupBuilder org)
    {
        var tasks = org.MapGroup("/tasks").WithTags("Tasks");
        tasks.MapPost("/", Create).RequirePermission(Permission.ManageWork).WithLongText("description")
            .WithName("createTask").WithSummary("Create a task in a task list; it gets the project's next number")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TaskListNotFound);
        tasks.MapGet("/", List).RequirePermission(Permission.ReadWork)
            .WithName("listTasks").WithSummary("List tasks with filters; a board column is `task_list_id=...&sort=position`")
            .WithKeysetPaging("number", [.. TaskBoard.Sorts.Names])
            .WithQuery(
                new QueryParameter("project_id", "Only tasks of this project.") { Format = "uuid" },
                new QueryParameter("task_list_id", "Only tasks of this task list.") { Format = "uuid" },
                new QueryParameter("parent_id", "Only sub-tasks of this task.") { Format = "uuid" },
                QueryParameter.OneOf("status", "Only tasks with this status.", [.. WorkInput.Statuses]),
                QueryParameter.OneOf("priority", "Only tasks with this priority.", [.. WorkInput.Priorities]),
                QueryParameter.Text("assignee_id", "Only tasks assigned to this user id, or `none` for unassigned ones."),
                QueryParameter.Text("label", "Only tasks with this label (exact).", maxLength: WorkInput.MaxLabelChars),
                new QueryParameter("team_id", "Only tasks of the projects of this team.") { Format = "uuid" },
                QueryParameter.Text("search", "Only tasks whose title contains this (case-insensitive) or whose reference it is.", maxLength: 200));
        tasks.MapPost("/bulk-status", BulkStatus).RequirePermission(Permission.ManageWork)
            .WithName("bulkTaskStatus").WithSummary("Set the status of up to 1,000 tasks at once, all or none")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TaskNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.TaskBlocked);
        tasks.MapGet("/{task}", Get).RequirePermission(Permission.ReadWork)
            .WithName("getTask").WithSummary("Get a task by id or reference")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TaskNotFound);
        tasks.MapPatch("/{task}", Update).RequirePermission(Permission.ManageWork).WithLongText("description")
            .WithName("updateTask").WithSummary("Change the members of a task that are sent; null clears an optional one")
            .Accepts<UpdateTaskRequest>("application/json")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TaskNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.TaskBlocked);
        tasks.MapDelete("/{task}", Delete).RequirePermission(Permission.ManageWork)
            .WithName("deleteTask").WithSummary("Delete a task with its sub-tasks")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TaskNotFound);
        tasks.MapPost("/{task}/toggle", Toggle).RequirePermission(Permission.ManageWork)
            .WithName("toggleTask").WithSummary("Tick or untick the task's checkbox (todo/in_progress/blocked to done, done to todo)")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TaskNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.TaskBlocked);
        tasks.MapPost("/{task}/assign", Assign).RequirePermission(Permission.ManageWork)
            .WithName("assignTask").WithSummary("Assign the task to a member of the organization")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TaskNotFound);
        tasks.MapPost("/{task}/unassign", Unassign).RequirePermission(Permission.ManageWork)
            .WithName("unassignTask").WithSummary("Take the task's assignee away")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TaskNotFound);
        tasks.MapPost("/{task}/move", Move).RequirePermission(Permission.ManageWork)
            .WithName("moveTask").WithSummary("Move the task to another list of its project or another position")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TaskNotFound, ProblemCodes.TaskListNotFound);
        tasks.MapGet("/{task}/dependencies", Dependencies).RequirePermission(Permission.ReadWork)
            .WithName("getTaskDependencies").WithSummary("What the task depends on and what depends on it")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TaskNotFound);
        tasks.MapPost("/{task}/dependencies", AddDependency).RequirePermission(Permission.ManageWork)
            .WithName("addTaskDependency").WithSummary("Make the task depend on another task of the organization; a cycle is refused")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TaskNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.DependencyCycle);
        tasks.MapDelete("/{task}/dependencies/{dependsOn}", RemoveDependency).RequirePermission(Permission.ManageWork)
            .WithName("removeTaskDependency").WithSummary("Remove one of the task's dependencies")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TaskNotFound, ProblemCodes.DependencyNotFound);
        tasks.MapGet("/{task}/commits", Commits).RequirePermission(Permission.ReadWork)
            .WithName("listTaskCommits").WithSummary("The commits whose messages name the task, newest first")
            .WithKeysetPaging("-committed_at", [.. CommitSync.Sorts.Names])
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.TaskNotFound);
    }

    private static async Task<Results<Created<TaskResponse>, ProblemHttpResult>> Create(
        CreateTaskRequest body, OrgScope scope, TaskBoard board, CancellationToken ct) =>
        Answers.Created(await board.CreateAsync(body, ct), t => $"/api/v1/orgs/{scope.Organization.Slug}/tasks/{t.Id}");

    private static async Task<Results<Ok<CursorPage<TaskResponse>>, ProblemHttpResult>> List(HttpRequest request, TaskBoard board, CancellationToken ct)
    {
        var errors = new Validator();
        var keyset = Keyset.Parse(request, errors, TaskBoard.Sorts);
        var assignee = Query.Text(request, "assignee_id");
        Guid? assigneeId = null;
        if (assignee is not null && assignee != "none")
        {
            assigneeId = Query.Id(request, errors, "assignee_id");
        }

        var label = Query.Text(request, "label");
        if (label is { Length: > WorkInput.MaxLabelChars })
        {
            errors.Add("label", $"must be at most {WorkInput.MaxLabelChars} characters.");
        }

        var filter = new TaskBoard.TaskFilter(
            Query.Id(request, errors, "project_id"), Query.Id(request, errors, "task_list_id"), Query.Id(request, errors, "parent_id"),
            Query.OneOf(request, errors, "status", WorkInput.Statuses), Query.OneOf(request, errors, "priority", WorkInput.Priorities),
            assigneeId, assignee == "none", label, Query.Id(request, errors, "team_id"), Query.Search(request, errors));
        return errors.IsValid ? TypedResults.Ok(await board.ListAsync(filter, keyset, ct)) : Problems.Validation(errors);
    }

    private static async Task<Results<Ok<BulkTaskStatusResponse>, ProblemHttpResult>> BulkStatus(
        BulkTaskStatusRequest body, TaskBoard board, CancellationToken ct) =>
        Answers.Ok(await board.BulkStatusAsync(body, ct));

    private static async Task<Results<Ok<TaskResponse>, ProblemHttpResult>> Get(string task, TaskBoard board, CancellationToken ct) =>
        await board.GetAsync(task, ct) is { } found ? TypedResults.Ok(found) : Answers.TaskNotFound().ToProblem();

    private static async Task<Results<Ok<TaskResponse>, ProblemHttpResult>> Update(string task, JsonElement body, TaskBoard board, CancellationToken ct) =>
        Answers.Ok(await board.UpdateAsync(task, body, ct));

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string task, TaskBoard board, CancellationToken ct) =>
        Answers.NoContent(await board.DeleteAsync(task, ct));

    private static async Task<Results<Ok<TaskResponse>, ProblemHttpResult>> Toggle(string task, ToggleTaskRequest? body, TaskBoard board, CancellationToken ct) =>
        Answers.Ok(await board.ToggleAsync(task, body?.Force ?? false, ct));

    private static async Task<Results<Ok<TaskResponse>, ProblemHttpResult>> Assign(string task, AssignTaskRequest body, TaskBoard board, CancellationToken ct) =>
        body.AssigneeId is null
            ? Problems.Validation("assignee_id", "is required (unassign with POST .../unassign).")
            : Answers.Ok(await board.AssignAsync(task, body.AssigneeId, ct));

    private static async Task<Results<Ok<TaskResponse>, ProblemHttpResult>> Unassign(string task, TaskBoard board, CancellationToken ct) =>
        Answers.Ok(await board.AssignAsync(task, null, ct));

    private static async Task<Results<Ok<TaskResponse>, ProblemHttpResult>> Move(string task, MoveTaskRequest body, TaskBoard board, CancellationToken ct) =>
        Answers.Ok(await board.MoveAsync(task, body.TaskListId, body.Position, ct));

    private static async Task<Results<Ok<DependenciesResponse>, ProblemHttpResult>> Dependencies(string task, TaskGraph graph, CancellationToken ct) =>
        Answers.Ok(await graph.GetAsync(task, ct));

    private static async Task<Results<Ok<DependenciesResponse>, ProblemHttpResult>> AddDependency(
        string task, AddDependencyRequest body, TaskGraph graph, CancellationToken ct) =>
        Answers.Ok(await graph.AddAsync(task, body, ct));

    private static async Task<Results<Ok<DependenciesResponse>, ProblemHttpResult>> RemoveDependency(
        string task, string dependsOn, TaskGraph graph, CancellationToken ct) =>
        Answers.Ok(await graph.RemoveAsync(task, dependsOn, ct));

    private static async Task<Results<Ok<CursorPage<CommitResponse>>, ProblemHttpResult>> Commits(
        string task, HttpRequest request, TaskBoard board, CommitSync commits, CancellationToken ct)
    {
        var errors = new Validator();
        var keyset = Keyset.Parse(request, errors, CommitSync.Sorts);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        return await board.FindAsync(task, ct) is { } found
            ? TypedResults.Ok(await commits.ForTaskAsync(found.Id, keyset, ct))
            : Answers.TaskNotFound().ToProblem();
    }
}

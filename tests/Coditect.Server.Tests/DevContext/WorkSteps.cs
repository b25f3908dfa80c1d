using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.DevContext;

/// <summary>The calls Dev Context tests make over and over.</summary>
public static class WorkSteps
{
    public static async Task<ProjectResponse> CreateProjectAsync(this Caller caller, string? name = null, string? key = null)
    {
        var response = await caller.Client.PostAsync($"{caller.OrgPath}/projects", new CreateProjectRequest(name ?? $"Project {Guid.NewGuid():N}", Key: key));
        return await response.ReadAsync<ProjectResponse>(HttpStatusCode.Created);
    }

    public static async Task<TaskListResponse> CreateListAsync(this Caller caller, Guid projectId, string title = "Backlog")
    {
        var response = await caller.Client.PostAsync($"{caller.OrgPath}/projects/{projectId}/task-lists", new CreateTaskListRequest(title));
        return await response.ReadAsync<TaskListResponse>(HttpStatusCode.Created);
    }

    public static Task<HttpResponseMessage> PostTaskAsync(this Caller caller, Guid listId, string title, Guid? assigneeId = null, string? status = null,
        IReadOnlyList<string>? labels = null, Guid? parentId = null, string? dueDate = null) =>
        caller.Client.PostAsync($"{caller.OrgPath}/tasks",
            new CreateTaskRequest(listId, title, Status: status, AssigneeId: assigneeId, Labels: labels, ParentId: parentId, DueDate: dueDate));

    public static async Task<TaskResponse> CreateTaskAsync(this Caller caller, Guid listId, string title = "Task", string? status = null,
        IReadOnlyList<string>? labels = null, Guid? parentId = null, string? dueDate = null)
    {
        var response = await caller.PostTaskAsync(listId, title, status: status, labels: labels, parentId: parentId, dueDate: dueDate);
        return await response.ReadAsync<TaskResponse>(HttpStatusCode.Created);
    }

    public static Task<HttpResponseMessage> DependAsync(this Caller caller, string task, Guid dependsOn) =>
        caller.Client.PostAsync($"{caller.OrgPath}/tasks/{task}/dependencies", new AddDependencyRequest(dependsOn));

    public static async Task<RepositoryResponse> CreateRepositoryAsync(this Caller caller, string? name = null, Guid? projectId = null)
    {
        var response = await caller.Client.PostAsync($"{caller.OrgPath}/repositories",
            new CreateRepositoryRequest(name ?? $"repo-{Guid.NewGuid():N}", "github", "https://github.com/acme/app.git", "main", projectId));
        return await response.ReadAsync<RepositoryResponse>(HttpStatusCode.Created);
    }

    public static Task<HttpResponseMessage> SyncAsync(this Caller caller, Guid repositoryId, IReadOnlyList<CommitInput> commits) =>
        caller.Client.PostAsync($"{caller.OrgPath}/repositories/{repositoryId}/commits", new CommitBatchRequest(commits));

    public static string NewSha() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    public static CommitInput Commit(string message, DateTime committedAt, string? sha = null, string branch = "main", string author = "dev@example.com") =>
        new(sha ?? NewSha(), "Dev", author, committedAt, "Dev", author, committedAt, message, [branch], [], 1, 10, 2);

    /// <summary>Every page of a keyset list, following <c>next_cursor</c>.</summary>
    public static async Task<List<T>> AllPagesAsync<T>(this Caller caller, string path)
    {
        var items = new List<T>();
        var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        string? cursor = null;
        do
        {
            var page = await caller.Client.GetJsonAsync<CursorPage<T>>(cursor is null ? path : $"{path}{separator}cursor={Uri.EscapeDataString(cursor)}");
            items.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        return items;
    }
}

/// <summary>One of each Dev Context object in an organization, for tests that need valid ids (the OpenAPI walk).</summary>
public sealed record WorkWorld(ProjectResponse Project, TaskListResponse List, TaskResponse Task, TaskResponse Other, TeamResponse Team, RepositoryResponse Repository)
{
    public static async Task<WorkWorld> CreateAsync(Caller caller)
    {
        var project = await caller.CreateProjectAsync();
        var list = await caller.CreateListAsync(project.Id);
        var task = await caller.CreateTaskAsync(list.Id, "walk task");
        var other = await caller.CreateTaskAsync(list.Id, "walk dependency");
        (await caller.DependAsync(task.Reference, other.Id)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var team = await (await caller.Client.PostAsync($"{caller.OrgPath}/teams", new CreateTeamRequest($"Team {Guid.NewGuid():N}")))
            .ReadAsync<TeamResponse>(HttpStatusCode.Created);
        var repository = await caller.CreateRepositoryAsync(projectId: project.Id);
        var plan = await caller.Client.Http.PutAsJsonAsync($"{caller.OrgPath}/projects/{project.Id}/plan", new PutPlanRequest("# Plan\n"), Client.Json);
        plan.StatusCode.ShouldBe(HttpStatusCode.OK);
        return new WorkWorld(project, list, task, other, team, repository);
    }
}

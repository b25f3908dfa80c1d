using System.Net;
using System.Net.Http.Json;
using System.Text;
using Coditect.Contracts.Audit;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.DevContext;

public abstract class PlanAndChecklistTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    private static Task<HttpResponseMessage> PutPlanAsync(Caller caller, Guid projectId, string content, string? summary = null) =>
        caller.Client.Http.PutAsJsonAsync($"{caller.OrgPath}/projects/{projectId}/plan", new PutPlanRequest(content, summary), Client.Json);

    [Fact]
    public async Task Every_plan_update_keeps_a_version_and_two_versions_diff_as_unified_text()
    {
        var owner = await _anonymous.RegisterAsync();
        var project = await owner.CreateProjectAsync();
        (await owner.Client.GetJsonAsync<PlanResponse>($"{owner.OrgPath}/projects/{project.Id}/plan")).Version.ShouldBe(0);

        var v1 = await (await PutPlanAsync(owner, project.Id, "# Plan\n\n1. design\n2. build\n3. ship\n", "first")).ReadAsync<PlanResponse>(HttpStatusCode.OK);
        var v2 = await (await PutPlanAsync(owner, project.Id, "# Plan\n\n1. design\n2. build and test\n3. ship\n4. celebrate\n")).ReadAsync<PlanResponse>(HttpStatusCode.OK);
        var same = await (await PutPlanAsync(owner, project.Id, v2.Content)).ReadAsync<PlanResponse>(HttpStatusCode.OK);
        (v1.Version, v2.Version, same.Version).ShouldBe((1, 2, 2), "the same content again adds no version");

        var versions = await owner.AllPagesAsync<PlanVersionSummary>($"{owner.OrgPath}/projects/{project.Id}/plan/versions?page_size=1");
        versions.Select(v => v.Version).ShouldBe([2, 1]);
        versions[1].Summary.ShouldBe("first");
        (await owner.Client.GetJsonAsync<PlanResponse>($"{owner.OrgPath}/projects/{project.Id}/plan/versions/1")).Content.ShouldBe(v1.Content);

        var diff = await owner.Client.GetJsonAsync<PlanDiffResponse>($"{owner.OrgPath}/projects/{project.Id}/plan/diff?from=1&to=2");
        diff.Diff.ShouldBe("--- v1\n+++ v2\n@@ -1,5 +1,6 @@\n # Plan\n \n 1. design\n-2. build\n+2. build and test\n 3. ship\n+4. celebrate\n");
        (diff.Additions, diff.Deletions).ShouldBe((2, 1));
        (await owner.Client.GetJsonAsync<PlanDiffResponse>($"{owner.OrgPath}/projects/{project.Id}/plan/diff")).From.ShouldBe(1);
        await (await owner.Client.GetAsync($"{owner.OrgPath}/projects/{project.Id}/plan/diff?from=1&to=9"))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.PlanVersionNotFound);
        await (await owner.Client.GetAsync($"{owner.OrgPath}/projects/{project.Id}/plan/versions/3"))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.PlanVersionNotFound);
        (await owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{owner.OrgPath}/audit-events?action=plan.updated")).Items.Count.ShouldBe(2);
    }

    [Fact]
    public async Task A_plan_over_one_megabyte_is_413_with_the_limit_and_one_at_the_limit_is_kept()
    {
        var owner = await _anonymous.RegisterAsync();
        var project = await owner.CreateProjectAsync();
        var atLimit = new string('a', 1_048_574) + "é"; // 1,048,576 bytes of UTF-8
        Encoding.UTF8.GetByteCount(atLimit).ShouldBe(1_048_576);

        (await PutPlanAsync(owner, project.Id, atLimit)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var refused = await PutPlanAsync(owner, project.Id, atLimit + "b");
        var problem = await refused.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, ProblemCodes.PayloadTooLarge);
        problem.GetProperty("limit").GetInt64().ShouldBe(1_048_576);
        // A declared length over the route's 2 MiB is refused before the body is read.
        var body = System.Text.Json.JsonSerializer.Serialize(new PutPlanRequest(new string('x', 3 * 1024 * 1024)), Client.Json);
        var huge = await owner.Client.Http.PutAsync($"{owner.OrgPath}/projects/{project.Id}/plan", new StringContent(body, Encoding.UTF8, "application/json"));
        (await huge.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, ProblemCodes.PayloadTooLarge)).GetProperty("limit").GetInt64().ShouldBe(2 * 1024 * 1024);
    }

    [Fact]
    public async Task A_markdown_checklist_imports_as_lists_tasks_and_sub_tasks()
    {
        var owner = await _anonymous.RegisterAsync();
        var project = await owner.CreateProjectAsync();
        const string markdown = """
            Intro text is ignored.

            ## Backend
            - [ ] API
              - [x] routes
              - [ ] errors
                * [ ] problem details
            - [X] schema

            ## Frontend ##
            1. [ ] pages
            - not a task
            """;
        var imported = await (await owner.Client.PostAsync($"{owner.OrgPath}/projects/{project.Id}/import", new ImportMarkdownRequest(markdown)))
            .ReadAsync<ImportResponse>(HttpStatusCode.OK);
        imported.ShouldBe(new ImportResponse(2, 6, 2, 3));

        var lists = await owner.AllPagesAsync<TaskListResponse>($"{owner.OrgPath}/projects/{project.Id}/task-lists");
        lists.Select(l => (l.Title, l.TaskCount, l.DoneCount)).ShouldBe([("Backend", 5, 2), ("Frontend", 1, 0)]);
        var tasks = await owner.AllPagesAsync<TaskResponse>($"{owner.OrgPath}/tasks?project_id={project.Id}");
        var api = tasks.Single(t => t.Title == "API");
        tasks.Where(t => t.ParentId == api.Id).Select(t => t.Title).ShouldBe(["routes", "errors"], ignoreOrder: true);
        tasks.Single(t => t.Title == "problem details").ParentId.ShouldBe(tasks.Single(t => t.Title == "errors").Id);
        (await owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{owner.OrgPath}/audit-events?action=project.imported")).Items.ShouldHaveSingleItem();
        (await owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{owner.OrgPath}/audit-events?action=task.created")).Items.ShouldBeEmpty();
    }

    [Fact]
    public async Task Export_then_import_into_an_empty_project_gives_the_same_lists_tasks_order_states_and_nesting()
    {
        var owner = await _anonymous.RegisterAsync();
        var source = await owner.CreateProjectAsync();
        var first = await owner.CreateListAsync(source.Id, "First list");
        var second = await owner.CreateListAsync(source.Id, "Second: [x] tricky # title");
        await owner.CreateListAsync(source.Id, "Empty list");
        var parent = await owner.CreateTaskAsync(first.Id, "parent [ ] with brackets");
        var child = await owner.CreateTaskAsync(first.Id, "child", status: "done", parentId: parent.Id);
        await owner.CreateTaskAsync(first.Id, "grandchild", parentId: child.Id);
        await owner.CreateTaskAsync(second.Id, "- [x] looks like markdown", status: "done");
        var moved = await owner.CreateTaskAsync(second.Id, "moved to top");
        (await owner.Client.PostAsync($"{owner.OrgPath}/tasks/{moved.Id}/move", new MoveTaskRequest(Position: 0))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var exported = await owner.Client.GetJsonAsync<ExportResponse>($"{owner.OrgPath}/projects/{source.Id}/export");
        var copy = await owner.CreateProjectAsync();
        (await owner.Client.PostAsync($"{owner.OrgPath}/projects/{copy.Id}/import", new ImportMarkdownRequest(exported.Markdown))).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await Shape(owner, copy.Id)).ShouldBe(await Shape(owner, source.Id));
        (await owner.Client.GetJsonAsync<ExportResponse>($"{owner.OrgPath}/projects/{copy.Id}/export")).Markdown.ShouldBe(exported.Markdown);
    }

    [Fact]
    public async Task A_markdown_import_of_ten_thousand_items_succeeds_in_one_request()
    {
        var owner = await _anonymous.RegisterAsync();
        var project = await owner.CreateProjectAsync();
        var markdown = new StringBuilder();
        for (var list = 0; list < 10; list++)
        {
            markdown.Append("## List ").Append(list).Append('\n');
            for (var item = 0; item < 1000; item++)
            {
                markdown.Append(item % 10 == 0 ? "- " : "  - ").Append(item % 3 == 0 ? "[x] " : "[ ] ").Append("Task ").Append(list).Append('.').Append(item).Append('\n');
            }
        }

        var imported = await (await owner.Client.PostAsync($"{owner.OrgPath}/projects/{project.Id}/import", new ImportMarkdownRequest(markdown.ToString())))
            .ReadAsync<ImportResponse>(HttpStatusCode.OK);
        (imported.TaskLists, imported.Tasks, imported.SubTasks).ShouldBe((10, 10_000, 9_000));
        var stats = await owner.Client.GetJsonAsync<ProjectStatsResponse>($"{owner.OrgPath}/projects/{project.Id}/stats");
        stats.Tasks.Total.ShouldBe(10_000);
        stats.Tasks.Done.ShouldBe(imported.Done);
        var next = await owner.CreateTaskAsync((await owner.AllPagesAsync<TaskListResponse>($"{owner.OrgPath}/projects/{project.Id}/task-lists"))[0].Id);
        next.Number.ShouldBe(10_001);
    }

    /// <summary>A project as lines of list, depth, checkbox and title in board order: what a round trip must keep.</summary>
    private static async Task<List<string>> Shape(Caller caller, Guid projectId)
    {
        var lists = await caller.AllPagesAsync<TaskListResponse>($"{caller.OrgPath}/projects/{projectId}/task-lists");
        var shape = new List<string>();
        foreach (var list in lists)
        {
            var tasks = await caller.AllPagesAsync<TaskResponse>($"{caller.OrgPath}/tasks?task_list_id={list.Id}&sort=position");
            var byId = tasks.ToDictionary(t => t.Id);
            int Depth(TaskResponse t) => t.ParentId is { } p && byId.TryGetValue(p, out var parent) ? 1 + Depth(parent) : 0;
            shape.Add($"list {list.Title}");
            void Walk(Guid? parent)
            {
                foreach (var task in tasks.Where(t => (t.ParentId is { } p && byId.ContainsKey(p) ? p : (Guid?)null) == parent))
                {
                    shape.Add($"{new string(' ', 2 * Depth(task))}{(task.Done ? "[x]" : "[ ]")} {task.Title}");
                    Walk(task.Id);
                }
            }

            Walk(null);
        }

        return shape;
    }
}

public sealed class PlanAndChecklistTestsOnSqlite(SqliteApp app) : PlanAndChecklistTests<SqliteApp>(app);

public sealed class PlanAndChecklistTestsOnPostgres(PostgresApp app) : PlanAndChecklistTests<PostgresApp>(app);

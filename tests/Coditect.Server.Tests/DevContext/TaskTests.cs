using System.Net;
using Coditect.Contracts.Audit;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.DevContext;

public abstract class TaskTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();
    private readonly TApp _app = app;

    [Fact]
    public async Task Tasks_are_numbered_per_project_and_a_deleted_number_is_never_reused()
    {
        var owner = await _anonymous.RegisterAsync();
        var project = await owner.CreateProjectAsync(key: "NUM" + Random.Shared.Next(100, 999));
        var list = await owner.CreateListAsync(project.Id);
        var one = await owner.CreateTaskAsync(list.Id, "one");
        var two = await owner.CreateTaskAsync(list.Id, "two");
        (one.Number, two.Number).ShouldBe((1, 2));
        one.Reference.ShouldBe($"{project.Key}-1");

        (await owner.Client.DeleteAsync($"{owner.OrgPath}/tasks/{two.Reference}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var three = await owner.CreateTaskAsync(list.Id, "three");
        three.Number.ShouldBe(3);
        three.Position.ShouldBe(1, "the deleted task's place closed");
        await (await owner.Client.GetAsync($"{owner.OrgPath}/tasks/{two.Reference}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.TaskNotFound);
    }

    [Fact]
    public async Task Twenty_parallel_creates_get_twenty_different_numbers()
    {
        var owner = await _anonymous.RegisterAsync();
        var project = await owner.CreateProjectAsync();
        var list = await owner.CreateListAsync(project.Id);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => owner.PostTaskAsync(list.Id, $"parallel {i}")));
        var tasks = new List<TaskResponse>();
        foreach (var response in responses)
        {
            tasks.Add(await response.ReadAsync<TaskResponse>(HttpStatusCode.Created));
        }

        tasks.Select(t => t.Number).Order().ShouldBe(Enumerable.Range(1, 20));
        var board = await owner.AllPagesAsync<TaskResponse>($"{owner.OrgPath}/tasks?task_list_id={list.Id}&sort=position");
        board.Count.ShouldBe(20);
    }

    [Fact]
    public async Task An_assignee_who_is_not_a_member_is_400_naming_the_field()
    {
        var owner = await _anonymous.RegisterAsync();
        var outsider = await _anonymous.RegisterAsync();
        var member = await owner.AddMemberAsync("member");
        var list = await owner.CreateListAsync((await owner.CreateProjectAsync()).Id);

        var refused = await owner.PostTaskAsync(list.Id, "x", assigneeId: outsider.UserId);
        (await refused.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed))
            .GetProperty("errors").TryGetProperty("assignee_id", out _).ShouldBeTrue();

        var task = await owner.CreateTaskAsync(list.Id, "y");
        var assign = await owner.Client.PostAsync($"{owner.OrgPath}/tasks/{task.Reference}/assign", new AssignTaskRequest(outsider.UserId));
        (await assign.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed))
            .GetProperty("errors").TryGetProperty("assignee_id", out _).ShouldBeTrue();

        var assigned = await (await owner.Client.PostAsync($"{owner.OrgPath}/tasks/{task.Id}/assign", new AssignTaskRequest(member.UserId)))
            .ReadAsync<TaskResponse>(HttpStatusCode.OK);
        assigned.AssigneeId.ShouldBe(member.UserId);
        var mine = await owner.Client.GetJsonAsync<CursorPage<TaskResponse>>($"{owner.OrgPath}/tasks?assignee_id={member.UserId}");
        mine.Items.Single().Id.ShouldBe(task.Id);
        var unassigned = await (await owner.Client.PostAsync($"{owner.OrgPath}/tasks/{task.Id}/unassign")).ReadAsync<TaskResponse>(HttpStatusCode.OK);
        unassigned.AssigneeId.ShouldBeNull();
        (await owner.Client.GetJsonAsync<CursorPage<TaskResponse>>($"{owner.OrgPath}/tasks?assignee_id=none&task_list_id={list.Id}")).Items.Count.ShouldBe(1);
    }

    [Fact]
    public async Task The_checkbox_moves_status_between_todo_and_done()
    {
        var owner = await _anonymous.RegisterAsync();
        var list = await owner.CreateListAsync((await owner.CreateProjectAsync()).Id);
        var task = await owner.CreateTaskAsync(list.Id, "tick me", status: "in_progress");

        var done = await (await owner.Client.PostAsync($"{owner.OrgPath}/tasks/{task.Reference}/toggle")).ReadAsync<TaskResponse>(HttpStatusCode.OK);
        (done.Status, done.Done).ShouldBe(("done", true));
        done.CompletedAt.ShouldNotBeNull();
        var undone = await (await owner.Client.PostAsync($"{owner.OrgPath}/tasks/{task.Reference}/toggle")).ReadAsync<TaskResponse>(HttpStatusCode.OK);
        (undone.Status, undone.Done, undone.CompletedAt).ShouldBe(("todo", false, null));
    }

    [Fact]
    public async Task Update_changes_what_is_sent_and_null_clears_optional_fields()
    {
        var owner = await _anonymous.RegisterAsync();
        var list = await owner.CreateListAsync((await owner.CreateProjectAsync()).Id);
        var task = await owner.CreateTaskAsync(list.Id, "edit me", labels: ["api", "c++"], dueDate: "2027-03-01");

        var updated = await (await owner.Client.PatchAsync($"{owner.OrgPath}/tasks/{task.Id}",
            new { title = "edited", description = "line one\nline two\ttabbed", priority = "urgent", estimate_hours = 2.5 }))
            .ReadAsync<TaskResponse>(HttpStatusCode.OK);
        (updated.Title, updated.Description, updated.Priority, updated.EstimateHours).ShouldBe(("edited", "line one\nline two\ttabbed", "urgent", 2.5));
        updated.Labels.ShouldBe(["api", "c++"]);
        updated.DueDate.ShouldBe("2027-03-01");

        var cleared = await (await owner.Client.PatchAsync($"{owner.OrgPath}/tasks/{task.Id}", new { due_date = (string?)null, description = (string?)null }))
            .ReadAsync<TaskResponse>(HttpStatusCode.OK);
        (cleared.DueDate, cleared.Description, cleared.Title).ShouldBe((null, null, "edited"));
        (await owner.Client.GetJsonAsync<CursorPage<TaskResponse>>($"{owner.OrgPath}/tasks?label=c%2B%2B")).Items.Single().Id.ShouldBe(task.Id);

        var bad = await owner.Client.PatchAsync($"{owner.OrgPath}/tasks/{task.Id}", new { status = "finished", due_date = "31/01/2027", title = "a\u0001b" });
        var errors = (await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed)).GetProperty("errors");
        errors.TryGetProperty("title", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Tasks_move_within_their_project_only()
    {
        var owner = await _anonymous.RegisterAsync();
        var stranger = await _anonymous.RegisterAsync();
        var project = await owner.CreateProjectAsync();
        var todo = await owner.CreateListAsync(project.Id, "Todo");
        var doing = await owner.CreateListAsync(project.Id, "Doing");
        var a = await owner.CreateTaskAsync(todo.Id, "a");
        var b = await owner.CreateTaskAsync(todo.Id, "b");
        var c = await owner.CreateTaskAsync(todo.Id, "c");

        var moved = await (await owner.Client.PostAsync($"{owner.OrgPath}/tasks/{c.Id}/move", new MoveTaskRequest(Position: 0)))
            .ReadAsync<TaskResponse>(HttpStatusCode.OK);
        moved.Position.ShouldBe(0);
        (await owner.AllPagesAsync<TaskResponse>($"{owner.OrgPath}/tasks?task_list_id={todo.Id}&sort=position")).Select(t => t.Title).ShouldBe(["c", "a", "b"]);

        (await owner.Client.PostAsync($"{owner.OrgPath}/tasks/{a.Id}/move", new MoveTaskRequest(doing.Id))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await owner.AllPagesAsync<TaskResponse>($"{owner.OrgPath}/tasks?task_list_id={todo.Id}&sort=position")).Select(t => (t.Title, t.Position))
            .ShouldBe([("c", 0), ("b", 1)]);

        var elsewhere = await owner.CreateListAsync((await owner.CreateProjectAsync()).Id, "Other project");
        var refused = await owner.Client.PostAsync($"{owner.OrgPath}/tasks/{b.Id}/move", new MoveTaskRequest(elsewhere.Id));
        (await refused.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed)).GetProperty("errors").TryGetProperty("task_list_id", out _).ShouldBeTrue();

        var foreign = await stranger.CreateListAsync((await stranger.CreateProjectAsync()).Id);
        await (await owner.Client.PostAsync($"{owner.OrgPath}/tasks/{b.Id}/move", new MoveTaskRequest(foreign.Id)))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.TaskListNotFound);
        await (await owner.PostTaskAsync(foreign.Id, "into their list")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.TaskListNotFound);
        await (await stranger.Client.GetAsync($"{stranger.OrgPath}/tasks/{b.Id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.TaskNotFound);
        await (await stranger.Client.PostAsync($"{stranger.OrgPath}/tasks/{b.Id}/toggle")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.TaskNotFound);
    }

    [Fact]
    public async Task Bulk_status_changes_all_or_none_and_writes_one_audit_event()
    {
        var owner = await _anonymous.RegisterAsync();
        var stranger = await _anonymous.RegisterAsync();
        var list = await owner.CreateListAsync((await owner.CreateProjectAsync()).Id);
        var tasks = new List<TaskResponse>();
        for (var i = 0; i < 5; i++)
        {
            tasks.Add(await owner.CreateTaskAsync(list.Id, $"bulk {i}"));
        }

        var foreign = await stranger.CreateTaskAsync((await stranger.CreateListAsync((await stranger.CreateProjectAsync()).Id)).Id);
        var mixed = await owner.Client.PostAsync($"{owner.OrgPath}/tasks/bulk-status",
            new BulkTaskStatusRequest([.. tasks.Select(t => t.Id), foreign.Id], "done"));
        await mixed.ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.TaskNotFound);
        (await owner.Client.GetJsonAsync<CursorPage<TaskResponse>>($"{owner.OrgPath}/tasks?task_list_id={list.Id}&status=done")).Items.ShouldBeEmpty();

        var result = await (await owner.Client.PostAsync($"{owner.OrgPath}/tasks/bulk-status", new BulkTaskStatusRequest([.. tasks.Select(t => t.Id)], "done")))
            .ReadAsync<BulkTaskStatusResponse>(HttpStatusCode.OK);
        result.Updated.ShouldBe(5);
        result.Tasks.ShouldAllBe(t => t.Done);
        var audit = await owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{owner.OrgPath}/audit-events?action=task.bulk_updated");
        audit.Items.ShouldHaveSingleItem();
        (await owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{owner.OrgPath}/audit-events?action=task.updated")).Items.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_board_of_120_tasks_pages_by_position_without_gaps_or_repeats()
    {
        var owner = await _anonymous.RegisterAsync();
        var project = await owner.CreateProjectAsync();
        var list = await owner.CreateListAsync(project.Id);
        var lines = string.Join('\n', Enumerable.Range(0, 120).Select(i => $"- [ ] item {i:D3}"));
        (await owner.Client.PostAsync($"{owner.OrgPath}/projects/{project.Id}/import", new ImportMarkdownRequest($"# Board\n{lines}")))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        var board = (await owner.Client.GetJsonAsync<CursorPage<TaskListResponse>>($"{owner.OrgPath}/projects/{project.Id}/task-lists")).Items[^1];

        var page = await owner.Client.GetJsonAsync<CursorPage<TaskResponse>>($"{owner.OrgPath}/tasks?task_list_id={board.Id}&sort=position&page_size=50");
        page.Items.Count.ShouldBe(50);
        page.NextCursor.ShouldNotBeNull();
        var all = await owner.AllPagesAsync<TaskResponse>($"{owner.OrgPath}/tasks?task_list_id={board.Id}&sort=position&page_size=50");
        all.Select(t => t.Title).ShouldBe(Enumerable.Range(0, 120).Select(i => $"item {i:D3}"));
        var byNumberDesc = await owner.AllPagesAsync<TaskResponse>($"{owner.OrgPath}/tasks?project_id={project.Id}&sort=-number&page_size=7");
        byNumberDesc.Select(t => t.Number).ShouldBe(Enumerable.Range(1, 120).Reverse());
        (await owner.Client.GetJsonAsync<CursorPage<TaskResponse>>($"{owner.OrgPath}/tasks?project_id={project.Id}&search={project.Key}-42"))
            .Items.Single().Number.ShouldBe(42);
        _ = list;
    }

    [Fact]
    public async Task The_board_page_shows_each_status_first_page_as_the_api_lists_it_and_pages_on()
    {
        var owner = await _anonymous.RegisterAsync();
        var project = await owner.CreateProjectAsync();
        var lines = string.Join('\n', Enumerable.Range(0, 130).Select(i => $"- [ ] card {i:D3}"));
        (await owner.Client.PostAsync($"{owner.OrgPath}/projects/{project.Id}/import", new ImportMarkdownRequest($"# Cards\n{lines}")))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        var tasks = await owner.AllPagesAsync<TaskResponse>($"{owner.OrgPath}/tasks?project_id={project.Id}&page_size=100");
        // 65 done, 13 in progress, 52 to do, none blocked: two columns with a "more" link, one empty.
        foreach (var (status, pick) in new (string, Func<int, bool>)[] { ("done", n => n % 2 == 0), ("in_progress", n => n % 10 == 1) })
        {
            (await owner.Client.PostAsync($"{owner.OrgPath}/tasks/bulk-status",
                new BulkTaskStatusRequest([.. tasks.Where(t => pick(t.Number)).Select(t => t.Id)], status))).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var console = await _app.SignInToConsoleAsync(owner.Email, owner.Password);
        var html = await console.GetStringAsync($"/orgs/{owner.OrgSlug}/projects/{project.Id}/board");
        var columns = BoardColumns(html);
        columns.Keys.ShouldBe(["todo", "in_progress", "blocked", "done"]);
        foreach (var (status, (cards, more)) in columns)
        {
            var page = await owner.Client.GetJsonAsync<CursorPage<TaskResponse>>($"{owner.OrgPath}/tasks?project_id={project.Id}&status={status}");
            cards.ShouldBe(page.Items.Select(t => t.Reference), $"{status}: the API's first page, in its order");
            (more is not null).ShouldBe(page.NextCursor is not null, $"{status}: a more link exactly when the API has a next page");
        }

        columns["blocked"].Cards.ShouldBeEmpty();
        html.ShouldContain("No tasks.");
        var (todo, todoMore) = columns["todo"];
        var rest = BoardColumns(await console.GetStringAsync(todoMore!));
        rest.Keys.ShouldBe(["todo"]);
        todo.Concat(rest["todo"].Cards).ShouldBe(
            tasks.Where(t => t.Number % 2 != 0 && t.Number % 10 != 1).OrderBy(t => t.Number).Select(t => t.Reference),
            "the more link goes on from the last card, without gaps or repeats");
        rest["todo"].More.ShouldBeNull();
    }

    /// <summary>Each board column's card references, in order, and its "more" link.</summary>
    private static Dictionary<string, (List<string> Cards, string? More)> BoardColumns(string html)
    {
        var columns = new Dictionary<string, (List<string>, string?)>();
        var sections = System.Text.RegularExpressions.Regex.Matches(html, "<section class=\"board-column\" data-status=\"([a-z_]+)\"(.*?)</section>",
            System.Text.RegularExpressions.RegexOptions.Singleline);
        foreach (System.Text.RegularExpressions.Match section in sections)
        {
            var body = section.Groups[2].Value;
            var cards = System.Text.RegularExpressions.Regex.Matches(body, "data-task=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
            var more = System.Text.RegularExpressions.Regex.Match(body, "<a class=\"btn\" href=\"([^\"]+)\">More in");
            columns[section.Groups[1].Value] = (cards, more.Success ? WebUtility.HtmlDecode(more.Groups[1].Value) : null);
        }

        return columns;
    }
}

public sealed class TaskTestsOnSqlite(SqliteApp app) : TaskTests<SqliteApp>(app);

public sealed class TaskTestsOnPostgres(PostgresApp app) : TaskTests<PostgresApp>(app);

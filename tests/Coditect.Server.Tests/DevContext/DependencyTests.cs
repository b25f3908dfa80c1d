using System.Net;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.DevContext;

public abstract class DependencyTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task A_dependency_that_closes_a_cycle_is_409_naming_the_cycles_tasks_in_order()
    {
        var owner = await _anonymous.RegisterAsync();
        var list = await owner.CreateListAsync((await owner.CreateProjectAsync()).Id);
        var a = await owner.CreateTaskAsync(list.Id, "a");
        var b = await owner.CreateTaskAsync(list.Id, "b");
        var c = await owner.CreateTaskAsync(list.Id, "c");
        (await owner.DependAsync(a.Reference, b.Id)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await owner.DependAsync(b.Reference, c.Id)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var refused = await owner.DependAsync(c.Reference, a.Id);
        var problem = await refused.ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.DependencyCycle);
        problem.GetProperty("cycle").EnumerateArray().Select(t => t.GetProperty("reference").GetString())
            .ShouldBe([c.Reference, a.Reference, b.Reference]);
        problem.GetProperty("field").GetString().ShouldBe("depends_on_id");
        await (await owner.DependAsync(a.Reference, a.Id)).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.DependencyCycle);

        var again = await (await owner.DependAsync(a.Reference, b.Id)).ReadAsync<DependenciesResponse>(HttpStatusCode.OK);
        again.DependsOn.Select(t => t.Id).ShouldBe([b.Id], "adding it twice changes nothing");
        var ofB = await owner.Client.GetJsonAsync<DependenciesResponse>($"{owner.OrgPath}/tasks/{b.Reference}/dependencies");
        ofB.DependsOn.Single().Id.ShouldBe(c.Id);
        ofB.Dependents.Single().Id.ShouldBe(a.Id);
    }

    [Fact]
    public async Task Dependencies_cross_projects_but_not_organizations()
    {
        var owner = await _anonymous.RegisterAsync();
        var stranger = await _anonymous.RegisterAsync();
        // Keys set apart: a reference resolves in the caller's organization, so "THEIRS-1" must not exist there.
        var mine = await owner.CreateTaskAsync((await owner.CreateListAsync((await owner.CreateProjectAsync(key: "MINE")).Id)).Id, "mine");
        var other = await owner.CreateTaskAsync((await owner.CreateListAsync((await owner.CreateProjectAsync(key: "OTHER")).Id)).Id, "other project");
        var theirs = await stranger.CreateTaskAsync((await stranger.CreateListAsync((await stranger.CreateProjectAsync(key: "THEIRS")).Id)).Id, "theirs");

        (await owner.DependAsync(mine.Reference, other.Id)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await owner.DependAsync(mine.Reference, theirs.Id)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.TaskNotFound);
        await (await owner.Client.PostAsync($"{owner.OrgPath}/tasks/{mine.Id}/dependencies", new AddDependencyRequest(Reference: theirs.Reference)))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.TaskNotFound);
        await (await stranger.DependAsync(theirs.Reference, mine.Id)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.TaskNotFound);
    }

    [Fact]
    public async Task Done_while_a_dependency_is_open_is_409_TASK_BLOCKED_unless_forced()
    {
        var owner = await _anonymous.RegisterAsync();
        var project = await owner.CreateProjectAsync();
        var list = await owner.CreateListAsync(project.Id);
        var build = await owner.CreateTaskAsync(list.Id, "build");
        var ship = await owner.CreateTaskAsync(list.Id, "ship");
        (await owner.DependAsync(ship.Reference, build.Id)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var refused = await owner.Client.PostAsync($"{owner.OrgPath}/tasks/{ship.Reference}/toggle");
        var problem = await refused.ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.TaskBlocked);
        problem.GetProperty("blocking").EnumerateArray().Single().GetProperty("id").GetGuid().ShouldBe(build.Id);
        await (await owner.Client.PatchAsync($"{owner.OrgPath}/tasks/{ship.Id}", new { status = "done" }))
            .ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.TaskBlocked);
        await (await owner.Client.PostAsync($"{owner.OrgPath}/tasks/bulk-status", new BulkTaskStatusRequest([ship.Id], "done")))
            .ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.TaskBlocked);

        var stats = await owner.Client.GetJsonAsync<ProjectStatsResponse>($"{owner.OrgPath}/projects/{project.Id}/stats");
        (stats.Blocked, stats.WaitingOnDependencies).ShouldBe((0, 1), "blocked is the status; waiting is counted apart");

        (await owner.Client.PostAsync($"{owner.OrgPath}/tasks/bulk-status", new BulkTaskStatusRequest([ship.Id, build.Id], "done")))
            .StatusCode.ShouldBe(HttpStatusCode.OK, "both in one batch: the dependency is done with it");
        (await owner.Client.PostAsync($"{owner.OrgPath}/tasks/{build.Reference}/toggle")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await owner.Client.PostAsync($"{owner.OrgPath}/tasks/{ship.Reference}/toggle")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var forced = await (await owner.Client.PostAsync($"{owner.OrgPath}/tasks/{ship.Reference}/toggle", new ToggleTaskRequest(Force: true)))
            .ReadAsync<TaskResponse>(HttpStatusCode.OK);
        forced.Done.ShouldBeTrue();

        (await owner.Client.PatchAsync($"{owner.OrgPath}/tasks/{build.Id}", new { status = "blocked" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var later = await owner.Client.GetJsonAsync<ProjectStatsResponse>($"{owner.OrgPath}/projects/{project.Id}/stats");
        (later.Blocked, later.WaitingOnDependencies, later.Tasks.Done, later.PercentDone).ShouldBe((1, 0, 1, 50.0));
    }

    [Fact]
    public async Task Concurrent_halves_of_a_cycle_never_both_succeed()
    {
        var owner = await _anonymous.RegisterAsync();
        var list = await owner.CreateListAsync((await owner.CreateProjectAsync()).Id);
        for (var round = 0; round < 5; round++)
        {
            var a = await owner.CreateTaskAsync(list.Id, $"a{round}");
            var b = await owner.CreateTaskAsync(list.Id, $"b{round}");
            var answers = await Task.WhenAll(owner.DependAsync(a.Reference, b.Id), owner.DependAsync(b.Reference, a.Id));
            answers.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(1);
            answers.Count(r => r.StatusCode == HttpStatusCode.Conflict).ShouldBe(1);
        }
    }
}

public sealed class DependencyTestsOnSqlite(SqliteApp app) : DependencyTests<SqliteApp>(app);

public sealed class DependencyTestsOnPostgres(PostgresApp app) : DependencyTests<PostgresApp>(app);

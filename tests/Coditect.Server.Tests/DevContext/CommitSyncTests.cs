using System.Net;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.DevContext;

public abstract class CommitSyncTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    private DateTime Now => app.Clock.GetUtcNow().UtcDateTime;

    [Fact]
    public async Task A_batch_is_idempotent_by_sha_and_a_sha_repeated_in_it_counts_once()
    {
        var owner = await _anonymous.RegisterAsync();
        var repository = await owner.CreateRepositoryAsync();
        var commits = Enumerable.Range(0, 10).Select(i => WorkSteps.Commit($"change {i}", Now.AddMinutes(-i))).ToList();
        var withRepeat = commits.Append(commits[3] with { Branches = ["release"] }).ToList();

        var first = await (await owner.SyncAsync(repository.Id, withRepeat)).ReadAsync<CommitBatchResponse>(HttpStatusCode.OK);
        first.ShouldBe(new CommitBatchResponse(10, 10, 0, 0));
        var again = await (await owner.SyncAsync(repository.Id, [.. commits, WorkSteps.Commit("new", Now)])).ReadAsync<CommitBatchResponse>(HttpStatusCode.OK);
        again.ShouldBe(new CommitBatchResponse(11, 1, 10, 0));

        var listed = await owner.AllPagesAsync<CommitResponse>($"{owner.OrgPath}/repositories/{repository.Id}/commits?page_size=4");
        listed.Count.ShouldBe(11);
        listed.Select(c => c.CommittedAt).ShouldBeInOrder(SortDirection.Descending);
        listed.Single(c => c.Sha == commits[3].Sha).Branches.ShouldBe(["main", "release"]);
        (await owner.Client.GetJsonAsync<RepositoryResponse>($"{owner.OrgPath}/repositories/{repository.Id}")).CommitCount.ShouldBe(11);
        (await owner.Client.GetJsonAsync<CursorPage<CommitResponse>>($"{owner.OrgPath}/repositories/{repository.Id}/commits?branch=release"))
            .Items.Single().Sha.ShouldBe(commits[3].Sha);
        (await owner.Client.GetJsonAsync<CursorPage<CommitResponse>>($"{owner.OrgPath}/repositories/{repository.Id}/commits?search=CHANGE%207"))
            .Items.Single().Sha.ShouldBe(commits[7].Sha);
    }

    [Fact]
    public async Task A_malformed_sha_or_an_oversized_batch_is_400_naming_the_field()
    {
        var owner = await _anonymous.RegisterAsync();
        var repository = await owner.CreateRepositoryAsync();

        var bad = await owner.SyncAsync(repository.Id, [WorkSteps.Commit("ok", Now), WorkSteps.Commit("bad", Now, sha: "not-a-sha")]);
        var errors = (await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed)).GetProperty("errors");
        errors.TryGetProperty("commits[1].sha", out _).ShouldBeTrue();
        var tooMany = await owner.SyncAsync(repository.Id, [.. Enumerable.Range(0, 1001).Select(i => WorkSteps.Commit($"c{i}", Now))]);
        (await tooMany.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed)).GetProperty("errors").TryGetProperty("commits", out _).ShouldBeTrue();
        var nul = await owner.SyncAsync(repository.Id, [WorkSteps.Commit("a\0b", Now)]);
        (await nul.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed)).GetProperty("errors").TryGetProperty("commits[0].message", out _).ShouldBeTrue();
        (await owner.SyncAsync(repository.Id, [WorkSteps.Commit("multi\nline\r\n\tmessage", Now)])).StatusCode.ShouldBe(HttpStatusCode.OK, "a message is long text");
        (await owner.Client.GetJsonAsync<RepositoryResponse>($"{owner.OrgPath}/repositories/{repository.Id}")).CommitCount.ShouldBe(1, "nothing of a refused batch is kept");
    }

    [Fact]
    public async Task A_full_batch_of_a_thousand_commits_goes_in_and_a_second_sync_sends_only_whats_new()
    {
        var owner = await _anonymous.RegisterAsync();
        var repository = await owner.CreateRepositoryAsync();
        var commits = Enumerable.Range(0, 1000).Select(i => WorkSteps.Commit($"commit {i}", Now.AddMinutes(i - 1000), branch: i % 2 == 0 ? "main" : "dev")).ToList();

        (await (await owner.SyncAsync(repository.Id, commits)).ReadAsync<CommitBatchResponse>(HttpStatusCode.OK)).Inserted.ShouldBe(1000);
        var state = await owner.Client.GetJsonAsync<SyncStateResponse>($"{owner.OrgPath}/repositories/{repository.Id}/sync-state");
        state.CommitCount.ShouldBe(1000);
        state.Branches.Select(b => $"{b.Branch} {b.Sha}").ShouldBe([$"dev {commits[999].Sha}", $"main {commits[998].Sha}"]);

        // An older commit reaching main later does not move its head back.
        (await owner.SyncAsync(repository.Id, [WorkSteps.Commit("late", Now.AddDays(-30))])).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await owner.Client.GetJsonAsync<SyncStateResponse>($"{owner.OrgPath}/repositories/{repository.Id}/sync-state"))
            .Branches.Single(b => b.Branch == "main").Sha.ShouldBe(commits[998].Sha);
    }

    [Fact]
    public async Task A_message_naming_a_task_reference_links_the_commit_to_it_with_old_keys_too()
    {
        var owner = await _anonymous.RegisterAsync();
        var project = await owner.CreateProjectAsync(key: "LNK" + Random.Shared.Next(10, 99));
        var list = await owner.CreateListAsync(project.Id);
        var task = await owner.CreateTaskAsync(list.Id, "linked");
        var other = await owner.CreateTaskAsync(list.Id, "also linked");
        var repository = await owner.CreateRepositoryAsync(projectId: project.Id);
        var oldKey = project.Key;
        (await owner.Client.PatchAsync($"{owner.OrgPath}/projects/{project.Id}", new { key = "REN" + Random.Shared.Next(10, 99) })).StatusCode.ShouldBe(HttpStatusCode.OK);

        var result = await (await owner.SyncAsync(repository.Id,
        [
            WorkSteps.Commit($"Fix {oldKey}-1 and {oldKey}-2, see {oldKey}-1 again", Now),
            WorkSteps.Commit($"Mentions NOPE-1, {oldKey}-99 and lower-case {oldKey.ToLowerInvariant()}-1", Now),
        ])).ReadAsync<CommitBatchResponse>(HttpStatusCode.OK);
        result.LinkedTasks.ShouldBe(2);

        var linked = await owner.Client.GetJsonAsync<CursorPage<CommitResponse>>($"{owner.OrgPath}/tasks/{task.Id}/commits");
        linked.Items.Single().TaskReferences.Count.ShouldBe(2);
        (await owner.Client.GetJsonAsync<CursorPage<CommitResponse>>($"{owner.OrgPath}/tasks/{other.Id}/commits")).Items.ShouldHaveSingleItem();
    }

    [Fact]
    public async Task Project_statistics_count_commits_per_week_and_contributors()
    {
        var owner = await _anonymous.RegisterAsync();
        var project = await owner.CreateProjectAsync();
        var list = await owner.CreateListAsync(project.Id);
        await owner.CreateTaskAsync(list.Id, "late", dueDate: DateOnly.FromDateTime(Now).AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await owner.CreateTaskAsync(list.Id, "finished", status: "done");
        var repository = await owner.CreateRepositoryAsync(projectId: project.Id);
        (await owner.SyncAsync(repository.Id,
        [
            WorkSteps.Commit("this week", Now.AddMinutes(-1), author: "a@example.com"),
            WorkSteps.Commit("this week too", Now.AddMinutes(-2), author: "b@example.com"),
            WorkSteps.Commit("three weeks ago", Now.AddDays(-21), author: "a@example.com"),
            WorkSteps.Commit("long ago", Now.AddDays(-400), author: "c@example.com"),
        ])).StatusCode.ShouldBe(HttpStatusCode.OK);

        var stats = await owner.Client.GetJsonAsync<ProjectStatsResponse>($"{owner.OrgPath}/projects/{project.Id}/stats");
        (stats.Tasks.Total, stats.Tasks.Done, stats.PercentDone, stats.Overdue).ShouldBe((2, 1, 50.0, 1));
        (stats.Commits, stats.Contributors).ShouldBe((4, 3));
        stats.CommitsPerWeek.Count.ShouldBe(12);
        stats.CommitsPerWeek[^1].Commits.ShouldBe(2);
        stats.CommitsPerWeek[^4].Commits.ShouldBe(1);
        stats.CommitsPerWeek.Sum(w => w.Commits).ShouldBe(3);
        DateOnly.Parse(stats.CommitsPerWeek[^1].WeekStart, System.Globalization.CultureInfo.InvariantCulture).DayOfWeek.ShouldBe(DayOfWeek.Monday);
        stats.LastActivityAt.ShouldNotBeNull();

        var org = await owner.Client.GetJsonAsync<DevStatsResponse>($"{owner.OrgPath}/dev-stats");
        (org.Projects, org.Tasks.Total, org.Repositories, org.Commits, org.Members, org.ActiveMembers).ShouldBe((1, 2, 1, 4, 1, 1));
    }

    [Fact]
    public async Task Another_organizations_repository_is_404()
    {
        var owner = await _anonymous.RegisterAsync();
        var stranger = await _anonymous.RegisterAsync();
        var repository = await owner.CreateRepositoryAsync();
        var path = $"{stranger.OrgPath}/repositories/{repository.Id}";

        await (await stranger.SyncAsync(repository.Id, [WorkSteps.Commit("x", Now)])).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.RepositoryNotFound);
        await (await stranger.Client.GetAsync($"{path}/commits")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.RepositoryNotFound);
        await (await stranger.Client.GetAsync($"{path}/sync-state")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.RepositoryNotFound);
        await (await stranger.Client.DeleteAsync(path)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.RepositoryNotFound);
        var duplicate = await owner.Client.PostAsync($"{owner.OrgPath}/repositories", new CreateRepositoryRequest(repository.Name));
        (await duplicate.ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NameTaken)).GetProperty("field").GetString().ShouldBe("name");
        (await stranger.Client.PostAsync($"{stranger.OrgPath}/repositories", new CreateRepositoryRequest(repository.Name))).StatusCode.ShouldBe(HttpStatusCode.Created);
    }
}

public sealed class CommitSyncTestsOnSqlite(SqliteApp app) : CommitSyncTests<SqliteApp>(app);

public sealed class CommitSyncTestsOnPostgres(PostgresApp app) : CommitSyncTests<PostgresApp>(app);

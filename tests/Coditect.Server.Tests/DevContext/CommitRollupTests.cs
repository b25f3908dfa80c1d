using System.Net;
using Coditect.Contracts.DevContext;
using Coditect.Server.Data;
using Coditect.Server.DevContext.Repositories;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.DevContext;

/// <summary>
/// The statistics' roll-ups (commits per week and per author, the repository's count) are kept by commit sync; they
/// must equal a recount of the commits after concurrent syncs of overlapping batches and re-sends.
/// </summary>
public abstract class CommitRollupTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    private DateTime Now => app.Clock.GetUtcNow().UtcDateTime;

    [Fact]
    public async Task Concurrent_and_repeated_syncs_leave_roll_ups_equal_to_a_recount()
    {
        var owner = await _anonymous.RegisterAsync();
        var project = await owner.CreateProjectAsync();
        var repository = await owner.CreateRepositoryAsync(projectId: project.Id);
        var other = await owner.CreateRepositoryAsync(projectId: project.Id);
        // 240 commits over 30 weeks by 7 authors; every batch overlaps the others (each commit is in 2 to 4 batches).
        var commits = Enumerable.Range(0, 240)
            .Select(i => WorkSteps.Commit($"change {i}", Now.AddHours(-i * 21), author: $"dev{i % 7}@example.com")).ToList();
        var batches = Enumerable.Range(0, 6).Select(b => commits.Where((_, i) => (i + b) % 3 != 0 || i % 6 == b).ToList()).ToList();

        var answers = await Task.WhenAll(batches.Select(async batch =>
            await (await owner.SyncAsync(repository.Id, batch)).ReadAsync<CommitBatchResponse>(HttpStatusCode.OK)));
        answers.Sum(a => a.Inserted).ShouldBe(240, "each SHA is inserted by exactly one of the concurrent syncs");
        var again = await (await owner.SyncAsync(repository.Id, [.. commits, commits[0]])).ReadAsync<CommitBatchResponse>(HttpStatusCode.OK);
        (again.Inserted, again.AlreadyKnown).ShouldBe((0, 240));
        (await owner.SyncAsync(other.Id, [WorkSteps.Commit("elsewhere", Now, author: "dev0@example.com"),
            WorkSteps.Commit("newcomer", Now.AddDays(-3), author: "new@example.com")])).StatusCode.ShouldBe(HttpStatusCode.OK);

        var (recount, weeks, authors, count) = await ReadAsync(owner.OrgId, repository.Id);
        recount.Count.ShouldBe(240);
        count.ShouldBe(240);
        weeks.ShouldBe(recount.GroupBy(c => CommitSync.WeekOf(c.CommittedAt)).Select(g => (g.Key, (long)g.Count())).OrderBy(w => w.Key).ToList());
        authors.ShouldBe(recount.GroupBy(c => c.AuthorEmail).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, (long)g.Count(), g.Min(c => c.CommittedAt), g.Max(c => c.CommittedAt))).ToList());
        weeks.Count.ShouldBeGreaterThan(20);
        authors.Count.ShouldBe(7);

        var stats = await owner.Client.GetJsonAsync<ProjectStatsResponse>($"{owner.OrgPath}/projects/{project.Id}/stats");
        (stats.Commits, stats.Contributors).ShouldBe((242, 8), "both repositories; dev0 counted once");
        var monday = CommitSync.WeekOf(Now);
        var recent = recount.Select(c => CommitSync.WeekOf(c.CommittedAt)).Append(monday).Append(CommitSync.WeekOf(Now.AddDays(-3)))
            .Where(w => w > monday.AddDays(-7 * 12)).GroupBy(w => w).ToDictionary(g => g.Key, g => g.Count());
        stats.CommitsPerWeek.Select(w => (w.WeekStart, w.Commits)).ShouldBe(Enumerable.Range(0, 12).Select(i => monday.AddDays(-7 * (11 - i)))
            .Select(w => (w.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), recent.GetValueOrDefault(w))).ToList());
    }

    [Fact]
    public async Task Deleting_a_repository_takes_its_roll_ups_with_it()
    {
        var owner = await _anonymous.RegisterAsync();
        var project = await owner.CreateProjectAsync();
        var repository = await owner.CreateRepositoryAsync(projectId: project.Id);
        (await owner.SyncAsync(repository.Id, [WorkSteps.Commit("one", Now, author: "a@example.com")])).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await owner.Client.GetJsonAsync<ProjectStatsResponse>($"{owner.OrgPath}/projects/{project.Id}/stats")).Contributors.ShouldBe(1);

        (await owner.Client.DeleteAsync($"{owner.OrgPath}/repositories/{repository.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var stats = await owner.Client.GetJsonAsync<ProjectStatsResponse>($"{owner.OrgPath}/projects/{project.Id}/stats");
        (stats.Commits, stats.Contributors, stats.CommitsPerWeek.Sum(w => w.Commits)).ShouldBe((0L, 0, 0));
        var (_, weeks, authors, _) = await ReadAsync(owner.OrgId, repository.Id);
        (weeks.Count, authors.Count).ShouldBe((0, 0));
    }

    /// <summary>The repository's commits, its week and author roll-ups (ordered by key) and its commit count, read directly.</summary>
    private async Task<(List<Commit> Commits, List<(DateOnly, long)> Weeks, List<(string, long, DateTime, DateTime)> Authors, long Count)> ReadAsync(
        Guid orgId, Guid repositoryId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync();
        if (app.Provider == DatabaseProvider.Postgres)
        {
            await db.Database.ExecuteSqlAsync($"select set_config('app.tenant_id', {orgId.ToString()}, true)"); // row-level security
        }

        var commits = await db.Set<Commit>().IgnoreQueryFilters().AsNoTracking().Where(c => c.RepositoryId == repositoryId).ToListAsync();
        var weeks = (await db.Set<CommitWeek>().IgnoreQueryFilters().AsNoTracking().Where(w => w.RepositoryId == repositoryId).ToListAsync())
            .OrderBy(w => w.WeekStart).Select(w => (w.WeekStart, w.Commits)).ToList();
        var authors = (await db.Set<CommitAuthor>().IgnoreQueryFilters().AsNoTracking().Where(a => a.RepositoryId == repositoryId).ToListAsync())
            .OrderBy(a => a.Email, StringComparer.Ordinal).Select(a => (a.Email, a.Commits, a.FirstCommitAt, a.LastCommitAt)).ToList();
        var count = await db.Set<Repository>().IgnoreQueryFilters().Where(r => r.Id == repositoryId).Select(r => r.CommitCount).SingleOrDefaultAsync();
        return (commits, weeks, authors, count);
    }
}

public sealed class CommitRollupTestsOnSqlite(SqliteApp app) : CommitRollupTests<SqliteApp>(app);

public sealed class CommitRollupTestsOnPostgres(PostgresApp app) : CommitRollupTests<PostgresApp>(app);

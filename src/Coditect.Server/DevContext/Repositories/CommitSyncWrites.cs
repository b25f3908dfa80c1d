using System.Text.Json;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.DevContext.Tasks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Coditect.Server.DevContext.Repositories;

/// <summary>
/// Commit sync's writes. Whatever the provider, the roll-ups grow only by the commits this batch actually inserted,
/// in the batch's transaction: a SHA re-sent, in the batch or by a concurrent sync, is counted by whichever
/// transaction inserted it, so the roll-ups always equal a recount. Locks are taken in one order by every sync
/// (commits by SHA, then weeks, authors, the repository row and branches by key), so concurrent syncs queue instead
/// of deadlocking.
/// </summary>
public sealed partial class CommitSync
{
    /// <summary>
    /// PostgreSQL: the whole batch in one statement, one round trip. The commits go in with
    /// <c>INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING RETURNING</c>; data-modifying CTEs over the rows
    /// it returned add them to the week and author roll-ups and the repository's count, link them to the tasks their
    /// messages name (a join on project keys and task numbers) and move the branch heads.
    /// </summary>
    private async Task<(List<Row> Fresh, int Links)> SyncPostgresAsync(Guid repositoryId, List<Row> rows, DateTime now, CancellationToken ct)
    {
        var sorted = rows.OrderBy(r => r.Sha, StringComparer.Ordinal).ToList();
        var heads = Heads(rows);
        var mentions = Mentions(rows);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var command = new NpgsqlCommand("""
            WITH ins AS (
                INSERT INTO commits (id, tenant_id, repository_id, sha, author_name, author_email, authored_at, committer_name, committer_email,
                                     committed_at, message, branches, parents, files_changed, additions, deletions, created_at)
                SELECT u.id, @tenant, @repository, u.sha, u.author_name, u.author_email, u.authored_at, u.committer_name, u.committer_email,
                       u.committed_at, u.message, u.branches, u.parents, u.files_changed, u.additions, u.deletions, @now
                FROM unnest(@ids, @shas, @author_names, @author_emails, @authored, @committer_names, @committer_emails, @committed, @messages,
                            @branches, @parents, @files, @additions, @deletions)
                     AS u(id, sha, author_name, author_email, authored_at, committer_name, committer_email, committed_at, message, branches,
                          parents, files_changed, additions, deletions)
                ORDER BY u.sha
                ON CONFLICT (repository_id, sha) DO NOTHING
                RETURNING id, author_email, committed_at
            ), weeks AS (
                INSERT INTO commit_weeks (repository_id, week_start, tenant_id, commits)
                SELECT @repository, date_trunc('week', committed_at AT TIME ZONE 'UTC')::date, @tenant, count(*) FROM ins GROUP BY 2 ORDER BY 2
                ON CONFLICT (repository_id, week_start) DO UPDATE SET commits = commit_weeks.commits + excluded.commits
            ), authors AS (
                INSERT INTO commit_authors (repository_id, email, tenant_id, commits, first_commit_at, last_commit_at)
                SELECT @repository, author_email, @tenant, count(*), min(committed_at), max(committed_at) FROM ins GROUP BY 2 ORDER BY 2
                ON CONFLICT (repository_id, email) DO UPDATE SET commits = commit_authors.commits + excluded.commits,
                    first_commit_at = least(commit_authors.first_commit_at, excluded.first_commit_at),
                    last_commit_at = greatest(commit_authors.last_commit_at, excluded.last_commit_at)
            ), counted AS (
                UPDATE repositories SET commit_count = commit_count + s.n, last_commit_at = greatest(last_commit_at, s.newest)
                FROM (SELECT count(*) AS n, max(committed_at) AS newest FROM ins) AS s
                WHERE id = @repository AND s.n > 0
            ), heads AS (
                INSERT INTO repository_branches (repository_id, name, tenant_id, head_sha, head_committed_at, updated_at)
                SELECT @repository, h.name, @tenant, h.sha, h.at, @now FROM unnest(@head_names, @head_shas, @head_ats) AS h(name, sha, at)
                ORDER BY h.name
                ON CONFLICT (repository_id, name) DO UPDATE SET head_sha = excluded.head_sha, head_committed_at = excluded.head_committed_at,
                    updated_at = excluded.updated_at
                WHERE excluded.head_committed_at >= repository_branches.head_committed_at
            ), linked AS (
                INSERT INTO commit_tasks (commit_id, task_id, tenant_id)
                SELECT DISTINCT m.commit_id, t.id, @tenant
                FROM unnest(@mention_commits, @mention_keys, @mention_numbers) AS m(commit_id, key, number)
                JOIN ins ON ins.id = m.commit_id
                JOIN project_keys k ON k.tenant_id = @tenant AND k.key = m.key
                JOIN tasks t ON t.tenant_id = @tenant AND t.project_id = k.project_id AND t.number = m.number
                ON CONFLICT DO NOTHING
                RETURNING 1
            )
            SELECT id, (SELECT count(*) FROM linked) FROM ins
            """, connection, (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction());
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<Guid>("tenant", tenant.TenantId!.Value));
        p.Add(new NpgsqlParameter<Guid>("repository", repositoryId));
        p.Add(new NpgsqlParameter<DateTime>("now", now));
        p.Add(new NpgsqlParameter<Guid[]>("ids", [.. sorted.Select(r => r.Id)]));
        p.Add(new NpgsqlParameter<string[]>("shas", [.. sorted.Select(r => r.Sha)]));
        p.Add(new NpgsqlParameter<string[]>("author_names", [.. sorted.Select(r => r.AuthorName)]));
        p.Add(new NpgsqlParameter<string[]>("author_emails", [.. sorted.Select(r => r.AuthorEmail)]));
        p.Add(new NpgsqlParameter<DateTime[]>("authored", [.. sorted.Select(r => r.AuthoredAt)]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<string[]>("committer_names", [.. sorted.Select(r => r.CommitterName)]));
        p.Add(new NpgsqlParameter<string[]>("committer_emails", [.. sorted.Select(r => r.CommitterEmail)]));
        p.Add(new NpgsqlParameter<DateTime[]>("committed", [.. sorted.Select(r => r.CommittedAt)]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<string[]>("messages", [.. sorted.Select(r => r.Message)]));
        p.Add(new NpgsqlParameter<string[]>("branches", [.. sorted.Select(r => JsonSerializer.Serialize(r.Branches))]));
        p.Add(new NpgsqlParameter<string[]>("parents", [.. sorted.Select(r => JsonSerializer.Serialize(r.Parents))]));
        p.Add(new NpgsqlParameter<int[]>("files", [.. sorted.Select(r => r.FilesChanged)]));
        p.Add(new NpgsqlParameter<int[]>("additions", [.. sorted.Select(r => r.Additions)]));
        p.Add(new NpgsqlParameter<int[]>("deletions", [.. sorted.Select(r => r.Deletions)]));
        p.Add(new NpgsqlParameter<string[]>("head_names", [.. heads.Select(h => h.Branch)]));
        p.Add(new NpgsqlParameter<string[]>("head_shas", [.. heads.Select(h => h.Row.Sha)]));
        p.Add(new NpgsqlParameter<DateTime[]>("head_ats", [.. heads.Select(h => h.Row.CommittedAt)]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<Guid[]>("mention_commits", [.. mentions.Select(m => m.CommitId)]));
        p.Add(new NpgsqlParameter<string[]>("mention_keys", [.. mentions.Select(m => m.Key)]));
        p.Add(new NpgsqlParameter<int[]>("mention_numbers", [.. mentions.Select(m => m.Number)]));

        var inserted = new HashSet<Guid>();
        long links = 0;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                inserted.Add(reader.GetGuid(0));
                links = reader.GetInt64(1);
            }
        }

        return ([.. rows.Where(r => inserted.Contains(r.Id))], (int)links);
    }

    /// <summary>
    /// SQLite: one statement per commit in the request's transaction (one writer, no round trips to pay for), then the
    /// roll-ups grouped in memory from the commits that went in, the links, and the branch heads.
    /// </summary>
    private async Task<(List<Row> Fresh, int Links)> SyncSqliteAsync(Guid repositoryId, List<Row> rows, DateTime now, CancellationToken ct)
    {
        var tenantId = tenant.TenantId!.Value;
        var fresh = new List<Row>();
        foreach (var r in rows.OrderBy(r => r.Sha, StringComparer.Ordinal))
        {
            var branches = JsonSerializer.Serialize(r.Branches);
            var parents = JsonSerializer.Serialize(r.Parents);
            var count = await db.Database.ExecuteSqlAsync($"""
                INSERT INTO commits (id, tenant_id, repository_id, sha, author_name, author_email, authored_at, committer_name, committer_email,
                                     committed_at, message, branches, parents, files_changed, additions, deletions, created_at)
                VALUES ({r.Id}, {tenantId}, {repositoryId}, {r.Sha}, {r.AuthorName}, {r.AuthorEmail}, {r.AuthoredAt}, {r.CommitterName},
                        {r.CommitterEmail}, {r.CommittedAt}, {r.Message}, {branches}, {parents}, {r.FilesChanged}, {r.Additions}, {r.Deletions}, {now})
                ON CONFLICT (repository_id, sha) DO NOTHING
                """, ct);
            if (count == 1)
            {
                fresh.Add(r);
            }
        }

        if (fresh.Count > 0)
        {
            foreach (var week in fresh.GroupBy(r => WeekOf(r.CommittedAt)).OrderBy(g => g.Key))
            {
                await db.Database.ExecuteSqlAsync($"""
                    INSERT INTO commit_weeks (repository_id, week_start, tenant_id, commits) VALUES ({repositoryId}, {week.Key}, {tenantId}, {week.Count()})
                    ON CONFLICT (repository_id, week_start) DO UPDATE SET commits = commits + excluded.commits
                    """, ct);
            }

            foreach (var author in fresh.GroupBy(r => r.AuthorEmail, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var first = author.Min(r => r.CommittedAt);
                var last = author.Max(r => r.CommittedAt);
                await db.Database.ExecuteSqlAsync($"""
                    INSERT INTO commit_authors (repository_id, email, tenant_id, commits, first_commit_at, last_commit_at)
                    VALUES ({repositoryId}, {author.Key}, {tenantId}, {author.Count()}, {first}, {last})
                    ON CONFLICT (repository_id, email) DO UPDATE SET commits = commits + excluded.commits,
                        first_commit_at = min(first_commit_at, excluded.first_commit_at), last_commit_at = max(last_commit_at, excluded.last_commit_at)
                    """, ct);
            }

            var newest = fresh.Max(r => r.CommittedAt);
            await db.Database.ExecuteSqlAsync($"""
                UPDATE repositories SET commit_count = commit_count + {fresh.Count},
                    last_commit_at = CASE WHEN last_commit_at IS NULL OR last_commit_at < {newest} THEN {newest} ELSE last_commit_at END
                WHERE id = {repositoryId}
                """, ct);
        }

        foreach (var head in Heads(rows))
        {
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO repository_branches (repository_id, name, tenant_id, head_sha, head_committed_at, updated_at)
                VALUES ({repositoryId}, {head.Branch}, {tenantId}, {head.Row.Sha}, {head.Row.CommittedAt}, {now})
                ON CONFLICT (repository_id, name) DO UPDATE SET head_sha = excluded.head_sha, head_committed_at = excluded.head_committed_at,
                    updated_at = excluded.updated_at
                WHERE excluded.head_committed_at >= repository_branches.head_committed_at
                """, ct);
        }

        return (fresh, await LinkTasksAsync(fresh, ct));
    }

    /// <summary>Links each new commit to the tasks its message names; answers how many links were made.</summary>
    private async Task<int> LinkTasksAsync(List<Row> fresh, CancellationToken ct)
    {
        var mentions = Mentions(fresh);
        if (mentions.Count == 0)
        {
            return 0;
        }

        var keys = mentions.Select(m => m.Key).Distinct().ToList();
        var projects = await db.Set<ProjectKey>().AsNoTracking().Where(k => keys.Contains(k.Key)).ToDictionaryAsync(k => k.Key, k => k.ProjectId, ct);
        if (projects.Count == 0)
        {
            return 0;
        }

        var projectIds = projects.Values.Distinct().ToList();
        var numbers = mentions.Where(m => projects.ContainsKey(m.Key)).Select(m => m.Number).Distinct().ToList();
        var tasks = await db.Set<ProjectTask>().AsNoTracking().Where(t => projectIds.Contains(t.ProjectId) && numbers.Contains(t.Number))
            .Select(t => new { t.Id, t.ProjectId, t.Number }).ToListAsync(ct);
        var byReference = tasks.ToDictionary(t => (t.ProjectId, t.Number), t => t.Id);
        var links = mentions
            .Where(m => projects.ContainsKey(m.Key) && byReference.ContainsKey((projects[m.Key], m.Number)))
            .Select(m => new CommitTask { CommitId = m.CommitId, TaskId = byReference[(projects[m.Key], m.Number)] })
            .DistinctBy(l => (l.CommitId, l.TaskId)).ToList();
        db.AddRange(links);
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        return links.Count;
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Audit;
using Coditect.Server.Data;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.DevContext.Tasks;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Coditect.Server.DevContext.Repositories;

/// <summary>
/// Commit sync (scoped): a batch of up to <see cref="MaxBatch"/> commits goes in idempotently by SHA, set-based —
/// on PostgreSQL one <c>INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING RETURNING</c> for the whole batch,
/// on SQLite one prepared statement per commit in the request's transaction. Only new commits are linked to the
/// tasks their messages name (<c>KEY-42</c>, any key the organization has had). Each branch's newest known commit is
/// kept for the CLI's next incremental sync. Commits are not audited; a batch writes one summary event.
/// </summary>
public sealed class CommitSync(CoditectDbContext db, TenantContext tenant)
{
    public const int MaxBatch = 1000;
    public const int MaxMessageChars = 65_536;
    public const int MaxBranches = 100;

    /// <summary>The route's body limit (decisions: commit batches 16 MiB).</summary>
    public const long BodyLimit = 16 * 1024 * 1024;

    public static readonly SortKeys<Commit> Sorts = new SortKeys<Commit>(c => c.Id, "committed_at", true)
        .Add("committed_at", c => c.CommittedAt).Add("authored_at", c => c.AuthoredAt);

    /// <summary>A commit list's filters: <c>branch</c>, <c>author_email</c>, <c>search</c> (message contains it), <c>from</c>/<c>to</c> (commit time).</summary>
    public sealed record CommitFilter(string? Branch, string? AuthorEmail, string Search, DateTime? From, DateTime? To);

    /// <summary>A commit as validated, before it is stored.</summary>
    private sealed record Row(
        Guid Id, string Sha, string AuthorName, string AuthorEmail, DateTime AuthoredAt, string CommitterName, string CommitterEmail,
        DateTime CommittedAt, string Message, List<string> Branches, List<string> Parents, int FilesChanged, int Additions, int Deletions);

    public async Task<Outcome<CommitBatchResponse>> SyncAsync(Guid repositoryId, CommitBatchRequest input, CancellationToken ct)
    {
        if (!await db.Set<Repository>().AnyAsync(r => r.Id == repositoryId, ct))
        {
            return Answers.RepositoryNotFound();
        }

        var errors = new Validator();
        var commits = input.Commits ?? [];
        if (commits.Count is 0 or > MaxBatch)
        {
            return Refusal.Invalid("commits", $"must hold 1 to {MaxBatch:N0} commits.");
        }

        var rows = Validate(errors, commits);
        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        var now = db.UtcNow;
        var inserted = db.Database.IsNpgsql()
            ? await InsertPostgresAsync(repositoryId, rows, now, ct)
            : await InsertSqliteAsync(repositoryId, rows, now, ct);
        var fresh = rows.Where(r => inserted.Contains(r.Id)).ToList();
        var links = await LinkTasksAsync(fresh, ct);
        await AdvanceAsync(repositoryId, rows, fresh, now, ct);

        var response = new CommitBatchResponse(rows.Count, fresh.Count, rows.Count - fresh.Count, links);
        if (fresh.Count > 0)
        {
            AuditRecorder.Explicit(db, tenant.TenantId!.Value, DevContextEvents.CommitsSynced, "repository", repositoryId, new JsonObject
            {
                ["inserted"] = new JsonObject { ["before"] = null, ["after"] = fresh.Count },
                ["already_known"] = new JsonObject { ["before"] = null, ["after"] = response.AlreadyKnown },
                ["linked_tasks"] = new JsonObject { ["before"] = null, ["after"] = links },
            }, now);
            await db.SaveChangesAsync(ct);
            await db.RaiseAsync(DevContextEvents.CommitsSynced, new
            {
                id = repositoryId,
                received = response.Received,
                inserted = response.Inserted,
                already_known = response.AlreadyKnown,
                linked_tasks = response.LinkedTasks,
                shas = fresh.Select(r => r.Sha).ToList(),
            }, ct);
        }

        return response;
    }

    /// <summary>A page of the repository's commits, newest first by default; null when no such repository is visible.</summary>
    public async Task<CursorPage<CommitResponse>?> ListAsync(Guid repositoryId, CommitFilter filter, Keyset keyset, CancellationToken ct)
    {
        if (!await db.Set<Repository>().AnyAsync(r => r.Id == repositoryId, ct))
        {
            return null;
        }

        return await PageAsync(db.Set<Commit>().AsNoTracking().Where(c => c.RepositoryId == repositoryId), filter, keyset, ct);
    }

    /// <summary>A page of the commits whose messages name the task, newest first by default.</summary>
    public Task<CursorPage<CommitResponse>> ForTaskAsync(Guid taskId, Keyset keyset, CancellationToken ct) =>
        PageAsync(db.Set<Commit>().AsNoTracking().Where(c => db.Set<CommitTask>().Any(l => l.CommitId == c.Id && l.TaskId == taskId)),
            new CommitFilter(null, null, "", null, null), keyset, ct);

    /// <summary>The newest commit the server knows per branch, or null when no such repository is visible.</summary>
    public async Task<SyncStateResponse?> SyncStateAsync(Guid repositoryId, CancellationToken ct)
    {
        var repository = await db.Set<Repository>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == repositoryId, ct);
        if (repository is null)
        {
            return null;
        }

        var branches = await db.Set<RepositoryBranch>().AsNoTracking().Where(b => b.RepositoryId == repositoryId)
            .OrderBy(b => b.Name).Select(b => new BranchHead(b.Name, b.HeadSha, b.HeadCommittedAt)).ToListAsync(ct);
        return new SyncStateResponse(repositoryId, repository.CommitCount, branches);
    }

    private async Task<CursorPage<CommitResponse>> PageAsync(IQueryable<Commit> commits, CommitFilter filter, Keyset keyset, CancellationToken ct)
    {
        if (filter.Branch is { } branch)
        {
            var pattern = WorkInput.Contains(JsonSerializer.Serialize(branch));
            commits = commits.Where(c => EF.Functions.Like(c.Branches, pattern, "\\"));
        }

        if (filter.AuthorEmail is { } email)
        {
            commits = commits.Where(c => c.AuthorEmail == email);
        }

        if (filter.Search.Length > 0)
        {
            var pattern = WorkInput.Contains(filter.Search.ToLowerInvariant());
            commits = commits.Where(c => EF.Functions.Like(c.Message.ToLower(), pattern, "\\"));
        }

        if (filter.From is { } from)
        {
            commits = commits.Where(c => c.CommittedAt >= from);
        }

        if (filter.To is { } to)
        {
            commits = commits.Where(c => c.CommittedAt < to);
        }

        var (rows, next) = await keyset.RowsAsync(commits, Sorts, ct);
        var ids = rows.Select(c => c.Id).ToList();
        var references = (await db.Set<CommitTask>().AsNoTracking().Where(l => ids.Contains(l.CommitId))
                .Join(db.Set<ProjectTask>(), l => l.TaskId, t => t.Id, (l, t) => new { l.CommitId, t.ProjectId, t.Number })
                .Join(db.Set<Project>(), x => x.ProjectId, p => p.Id, (x, p) => new { x.CommitId, p.Key, x.Number })
                .ToListAsync(ct))
            .GroupBy(x => x.CommitId).ToDictionary(g => g.Key, g => g.OrderBy(x => x.Key, StringComparer.Ordinal).ThenBy(x => x.Number)
                .Select(x => $"{x.Key}-{x.Number.ToString(CultureInfo.InvariantCulture)}").ToList());
        return new CursorPage<CommitResponse>([.. rows.Select(c => c.ToResponse(references.GetValueOrDefault(c.Id, [])))], keyset.PageSize, next);
    }

    /// <summary>Checks every commit, naming fields as <c>commits[i].sha</c>; a SHA repeated in the batch is kept once (its branches merged).</summary>
    private static List<Row> Validate(Validator errors, IReadOnlyList<CommitInput> commits)
    {
        var rows = new List<Row>(commits.Count);
        var bySha = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < commits.Count; i++)
        {
            var c = commits[i];
            var at = $"commits[{i}]";
            if (c is null)
            {
                errors.Add(at, "must be a commit object.");
                continue;
            }

            var sha = c.Sha?.Trim().ToLowerInvariant() ?? "";
            if (!IsSha(sha))
            {
                errors.Add($"{at}.sha", "must be 40 or 64 hexadecimal digits.");
            }

            if (c.CommittedAt is null)
            {
                errors.Add($"{at}.committed_at", "is required.");
            }

            var message = WorkInput.LongText(errors, $"{at}.message", c.Message, MaxMessageChars) ?? "";
            var branches = new List<string>();
            if (c.Branches is { Count: > MaxBranches })
            {
                errors.Add($"{at}.branches", $"must have at most {MaxBranches} items.");
            }

            foreach (var branch in c.Branches ?? [])
            {
                if (string.IsNullOrWhiteSpace(branch) || branch.Length > 255 || WireText.Problem(branch) is not null)
                {
                    errors.Add($"{at}.branches", "items must be 1 to 255 characters without control characters.");
                    break;
                }

                branches.Add(branch.Trim());
            }

            var parents = (c.Parents ?? []).Select(p => p?.Trim().ToLowerInvariant() ?? "").ToList();
            if (parents.Any(p => !IsSha(p)))
            {
                errors.Add($"{at}.parents", "items must be 40 or 64 hexadecimal digits.");
            }

            foreach (var (name, value) in new[] { ("files_changed", c.FilesChanged), ("additions", c.Additions), ("deletions", c.Deletions) })
            {
                if (value is < 0)
                {
                    errors.Add($"{at}.{name}", "must not be negative.");
                }
            }

            var committedAt = Utc(c.CommittedAt ?? default);
            var row = new Row(
                Guid.CreateVersion7(), sha,
                Short(errors, $"{at}.author_name", c.AuthorName, 256), Short(errors, $"{at}.author_email", c.AuthorEmail, 320),
                c.AuthoredAt is { } authored ? Utc(authored) : committedAt,
                Short(errors, $"{at}.committer_name", c.CommitterName ?? c.AuthorName, 256),
                Short(errors, $"{at}.committer_email", c.CommitterEmail ?? c.AuthorEmail, 320),
                committedAt, message, branches, parents, c.FilesChanged ?? 0, c.Additions ?? 0, c.Deletions ?? 0);
            if (bySha.TryGetValue(sha, out var seen))
            {
                rows[seen].Branches.AddRange(branches.Where(b => !rows[seen].Branches.Contains(b)));
                continue;
            }

            bySha[sha] = rows.Count;
            rows.Add(row);
        }

        return rows;
    }

    private static string Short(Validator errors, string field, string? value, int max) =>
        string.IsNullOrEmpty(value) ? "" : errors.Required(field, value, max);

    private static bool IsSha(string sha) => sha.Length is 40 or 64 && sha.All(char.IsAsciiHexDigitLower);

    private static DateTime Utc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Local => time.ToUniversalTime(),
        DateTimeKind.Unspecified => DateTime.SpecifyKind(time, DateTimeKind.Utc),
        _ => time,
    };

    /// <summary>The whole batch in one statement; answers the ids of the rows that were new.</summary>
    private async Task<HashSet<Guid>> InsertPostgresAsync(Guid repositoryId, List<Row> rows, DateTime now, CancellationToken ct)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var command = new NpgsqlCommand("""
            INSERT INTO commits (id, tenant_id, repository_id, sha, author_name, author_email, authored_at, committer_name, committer_email,
                                 committed_at, message, branches, parents, files_changed, additions, deletions, created_at)
            SELECT u.id, @tenant, @repository, u.sha, u.author_name, u.author_email, u.authored_at, u.committer_name, u.committer_email,
                   u.committed_at, u.message, u.branches, u.parents, u.files_changed, u.additions, u.deletions, @now
            FROM unnest(@ids, @shas, @author_names, @author_emails, @authored, @committer_names, @committer_emails, @committed, @messages,
                        @branches, @parents, @files, @additions, @deletions)
                 AS u(id, sha, author_name, author_email, authored_at, committer_name, committer_email, committed_at, message, branches,
                      parents, files_changed, additions, deletions)
            ON CONFLICT (repository_id, sha) DO NOTHING
            RETURNING id
            """, connection, (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction());
        command.Parameters.Add(new NpgsqlParameter<Guid>("tenant", tenant.TenantId!.Value));
        command.Parameters.Add(new NpgsqlParameter<Guid>("repository", repositoryId));
        command.Parameters.Add(new NpgsqlParameter<DateTime>("now", now));
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. rows.Select(r => r.Id)]));
        command.Parameters.Add(new NpgsqlParameter<string[]>("shas", [.. rows.Select(r => r.Sha)]));
        command.Parameters.Add(new NpgsqlParameter<string[]>("author_names", [.. rows.Select(r => r.AuthorName)]));
        command.Parameters.Add(new NpgsqlParameter<string[]>("author_emails", [.. rows.Select(r => r.AuthorEmail)]));
        command.Parameters.Add(new NpgsqlParameter<DateTime[]>("authored", [.. rows.Select(r => r.AuthoredAt)]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<string[]>("committer_names", [.. rows.Select(r => r.CommitterName)]));
        command.Parameters.Add(new NpgsqlParameter<string[]>("committer_emails", [.. rows.Select(r => r.CommitterEmail)]));
        command.Parameters.Add(new NpgsqlParameter<DateTime[]>("committed", [.. rows.Select(r => r.CommittedAt)]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<string[]>("messages", [.. rows.Select(r => r.Message)]));
        command.Parameters.Add(new NpgsqlParameter<string[]>("branches", [.. rows.Select(r => JsonSerializer.Serialize(r.Branches))]));
        command.Parameters.Add(new NpgsqlParameter<string[]>("parents", [.. rows.Select(r => JsonSerializer.Serialize(r.Parents))]));
        command.Parameters.Add(new NpgsqlParameter<int[]>("files", [.. rows.Select(r => r.FilesChanged)]));
        command.Parameters.Add(new NpgsqlParameter<int[]>("additions", [.. rows.Select(r => r.Additions)]));
        command.Parameters.Add(new NpgsqlParameter<int[]>("deletions", [.. rows.Select(r => r.Deletions)]));
        var inserted = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            inserted.Add(reader.GetGuid(0));
        }

        return inserted;
    }

    /// <summary>SQLite: one statement per commit in the request's transaction (one writer, no round trips to pay for).</summary>
    private async Task<HashSet<Guid>> InsertSqliteAsync(Guid repositoryId, List<Row> rows, DateTime now, CancellationToken ct)
    {
        var tenantId = tenant.TenantId!.Value;
        var inserted = new HashSet<Guid>();
        foreach (var r in rows)
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
                inserted.Add(r.Id);
            }
        }

        return inserted;
    }

    /// <summary>Links each new commit to the tasks its message names; answers how many links were made.</summary>
    private async Task<int> LinkTasksAsync(List<Row> fresh, CancellationToken ct)
    {
        var mentions = fresh.SelectMany(r => ProjectKeys.FindReferences(r.Message).Select(m => (r.Id, m.Key, m.Number))).ToList();
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
            .Select(m => new CommitTask { CommitId = m.Id, TaskId = byReference[(projects[m.Key], m.Number)] })
            .DistinctBy(l => (l.CommitId, l.TaskId)).ToList();
        db.AddRange(links);
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        return links.Count;
    }

    /// <summary>Counts the new commits on the repository and moves each branch's head to its newest known commit.</summary>
    private async Task AdvanceAsync(Guid repositoryId, List<Row> rows, List<Row> fresh, DateTime now, CancellationToken ct)
    {
        if (fresh.Count > 0)
        {
            var newest = fresh.Max(r => r.CommittedAt);
            await db.Database.ExecuteSqlAsync($"""
                UPDATE repositories SET commit_count = commit_count + {fresh.Count},
                    last_commit_at = CASE WHEN last_commit_at IS NULL OR last_commit_at < {newest} THEN {newest} ELSE last_commit_at END
                WHERE id = {repositoryId}
                """, ct);
        }

        var tenantId = tenant.TenantId!.Value;
        foreach (var head in rows.SelectMany(r => r.Branches.Select(b => (Branch: b, Row: r)))
                     .GroupBy(x => x.Branch, StringComparer.Ordinal)
                     .Select(g => g.OrderByDescending(x => x.Row.CommittedAt).ThenBy(x => x.Row.Sha, StringComparer.Ordinal).First()))
        {
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO repository_branches (repository_id, name, tenant_id, head_sha, head_committed_at, updated_at)
                VALUES ({repositoryId}, {head.Branch}, {tenantId}, {head.Row.Sha}, {head.Row.CommittedAt}, {now})
                ON CONFLICT (repository_id, name) DO UPDATE SET head_sha = excluded.head_sha, head_committed_at = excluded.head_committed_at,
                    updated_at = excluded.updated_at
                WHERE excluded.head_committed_at >= repository_branches.head_committed_at
                """, ct);
        }
    }
}

internal static class CommitMapping
{
    public static CommitResponse ToResponse(this Commit c, IReadOnlyList<string> references) => new(
        c.Id, c.RepositoryId, c.Sha, c.AuthorName, c.AuthorEmail, c.AuthoredAt, c.CommitterName, c.CommitterEmail, c.CommittedAt,
        c.Message, WorkInput.ReadList(c.Branches), WorkInput.ReadList(c.Parents), c.FilesChanged, c.Additions, c.Deletions, references);
}

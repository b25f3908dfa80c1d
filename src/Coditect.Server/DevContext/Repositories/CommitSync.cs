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

namespace Coditect.Server.DevContext.Repositories;

/// <summary>
/// Commit sync (scoped): a batch of up to <see cref="MaxBatch"/> commits goes in idempotently by SHA, set-based (the
/// writes are in CommitSyncWrites.cs). Only new commits count: they are linked to the tasks their messages name
/// (<c>KEY-42</c>, any key the organization has had) and added to the statistics' roll-ups (<see cref="CommitWeek"/>,
/// <see cref="CommitAuthor"/>, the repository's count and last commit time) in the same transaction. Each branch's
/// newest known commit is kept for the CLI's next incremental sync. Commits are not audited; a batch writes one
/// summary event.
/// </summary>
public sealed partial class CommitSync(CoditectDbContext db, TenantContext tenant)
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
        var (fresh, links) = db.Database.IsNpgsql()
            ? await SyncPostgresAsync(repositoryId, rows, now, ct)
            : await SyncSqliteAsync(repositoryId, rows, now, ct);

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

    /// <summary>The Monday (UTC) of the ISO week of a commit: the key of its <see cref="CommitWeek"/> roll-up.</summary>
    public static DateOnly WeekOf(DateTime committedAt)
    {
        var day = DateOnly.FromDateTime(committedAt);
        return day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
    }

    /// <summary>Each branch's newest commit in the batch (by commit time, then SHA), ordered by branch name.</summary>
    private static List<(string Branch, Row Row)> Heads(List<Row> rows) =>
        [.. rows.SelectMany(r => r.Branches.Select(b => (Branch: b, Row: r)))
            .GroupBy(x => x.Branch, StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(x => x.Row.CommittedAt).ThenBy(x => x.Row.Sha, StringComparer.Ordinal).First())
            .OrderBy(x => x.Branch, StringComparer.Ordinal)];

    /// <summary>Every task reference each commit's message names (the key as written, the number).</summary>
    private static List<(Guid CommitId, string Key, int Number)> Mentions(IEnumerable<Row> rows) =>
        [.. rows.SelectMany(r => ProjectKeys.FindReferences(r.Message).Select(m => (r.Id, m.Key, m.Number)))];
}

internal static class CommitMapping
{
    public static CommitResponse ToResponse(this Commit c, IReadOnlyList<string> references) => new(
        c.Id, c.RepositoryId, c.Sha, c.AuthorName, c.AuthorEmail, c.AuthoredAt, c.CommitterName, c.CommitterEmail, c.CommittedAt,
        c.Message, WorkInput.ReadList(c.Branches), WorkInput.ReadList(c.Parents), c.FilesChanged, c.Additions, c.Deletions, references);
}

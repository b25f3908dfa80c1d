using Coditect.Server.Data;

namespace Coditect.Server.DevContext.Repositories;

/// <summary>
/// A git repository whose commits the organization records, optionally linked to a project. <see cref="CommitCount"/>
/// and <see cref="LastCommitAt"/> are kept by commit sync (SQL, not the change tracker).
/// </summary>
[Audited]
public sealed class Repository : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }
    public required string Name { get; set; }
    public required string Provider { get; set; }
    public string? CloneUrl { get; set; }
    public required string DefaultBranch { get; set; }
    public Guid? ProjectId { get; set; }

    [NotAudited]
    public long CommitCount { get; set; }

    [NotAudited]
    public DateTime? LastCommitAt { get; set; }
}

/// <summary>
/// A commit, unique per repository and SHA. Written only by commit sync, set-based; not audited (a sync writes one
/// summary event).
/// </summary>
[NotAudited]
public sealed class Commit : ITenantOwned
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public Guid RepositoryId { get; set; }
    public required string Sha { get; set; }
    public required string AuthorName { get; set; }
    public required string AuthorEmail { get; set; }
    public DateTime AuthoredAt { get; set; }
    public required string CommitterName { get; set; }
    public required string CommitterEmail { get; set; }
    public DateTime CommittedAt { get; set; }
    public required string Message { get; set; }

    /// <summary>JSON array of branch names.</summary>
    public required string Branches { get; set; }

    /// <summary>JSON array of parent SHAs.</summary>
    public required string Parents { get; set; }

    public int FilesChanged { get; set; }
    public int Additions { get; set; }
    public int Deletions { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>A task a commit's message names (<c>KEY-42</c>).</summary>
[NotAudited]
public sealed class CommitTask : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid CommitId { get; set; }
    public Guid TaskId { get; set; }
}

/// <summary>The newest commit (by commit time) the server knows on a branch: where the CLI's next sync starts.</summary>
[NotAudited]
public sealed class RepositoryBranch : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid RepositoryId { get; set; }
    public required string Name { get; set; }
    public required string HeadSha { get; set; }
    public DateTime HeadCommittedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>
/// A roll-up kept by commit sync in the transaction that inserts the commits: how many commits of the repository fall
/// in the ISO week (Monday, UTC) starting <see cref="WeekStart"/>. Only newly inserted commits count (a re-sent SHA
/// counts once), so it always equals a recount of <c>commits</c>.
/// </summary>
[NotAudited]
public sealed class CommitWeek : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid RepositoryId { get; set; }
    public DateOnly WeekStart { get; set; }
    public long Commits { get; set; }
}

/// <summary>
/// A roll-up kept by commit sync like <see cref="CommitWeek"/>: one row per author e-mail (exactly as sent) of the
/// repository, with its commit count and first and last commit time.
/// </summary>
[NotAudited]
public sealed class CommitAuthor : ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid RepositoryId { get; set; }
    public required string Email { get; set; }
    public long Commits { get; set; }
    public DateTime FirstCommitAt { get; set; }
    public DateTime LastCommitAt { get; set; }
}

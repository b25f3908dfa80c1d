namespace Coditect.Contracts.DevContext;

/// <summary>Repository providers on the wire.</summary>
public static class RepositoryProviders
{
    public const string GitHub = "github";
    public const string GitLab = "gitlab";
    public const string Bitbucket = "bitbucket";
    public const string Other = "other";
}

/// <summary>A repository; <c>ProjectId</c> links it to a project (its commits count in that project's statistics).</summary>
public sealed record CreateRepositoryRequest(
    string? Name,
    string? Provider = null,
    string? CloneUrl = null,
    string? DefaultBranch = null,
    Guid? ProjectId = null);

/// <summary>A partial update: only the members sent change.</summary>
public sealed record UpdateRepositoryRequest(
    string? Name = null,
    string? Provider = null,
    string? CloneUrl = null,
    string? DefaultBranch = null,
    Guid? ProjectId = null);

public sealed record RepositoryResponse(
    Guid Id,
    string Name,
    string Provider,
    string? CloneUrl,
    string DefaultBranch,
    Guid? ProjectId,
    long CommitCount,
    DateTime? LastCommitAt,
    DateTime CreatedAt,
    DateTime UpdatedAt);

/// <summary>
/// One commit as <c>git log</c> knows it. <c>Sha</c> is 40 or 64 hex digits; <c>Branches</c> the branches it was
/// read from; <c>Parents</c> the parents' SHAs.
/// </summary>
public sealed record CommitInput(
    string? Sha,
    string? AuthorName = null,
    string? AuthorEmail = null,
    DateTime? AuthoredAt = null,
    string? CommitterName = null,
    string? CommitterEmail = null,
    DateTime? CommittedAt = null,
    string? Message = null,
    IReadOnlyList<string>? Branches = null,
    IReadOnlyList<string>? Parents = null,
    int? FilesChanged = null,
    int? Additions = null,
    int? Deletions = null);

/// <summary>Up to 1,000 commits; idempotent by SHA.</summary>
public sealed record CommitBatchRequest(IReadOnlyList<CommitInput>? Commits);

/// <summary>
/// What a batch did: <c>Inserted</c> new commits, <c>AlreadyKnown</c> ones the repository had (a SHA repeated in
/// the batch counts once), and <c>LinkedTasks</c> task links made from references in messages.
/// </summary>
public sealed record CommitBatchResponse(int Received, int Inserted, int AlreadyKnown, int LinkedTasks);

public sealed record CommitResponse(
    Guid Id,
    Guid RepositoryId,
    string Sha,
    string AuthorName,
    string AuthorEmail,
    DateTime AuthoredAt,
    string CommitterName,
    string CommitterEmail,
    DateTime CommittedAt,
    string Message,
    IReadOnlyList<string> Branches,
    IReadOnlyList<string> Parents,
    int FilesChanged,
    int Additions,
    int Deletions,
    IReadOnlyList<string> TaskReferences);

/// <summary>The newest commit the server knows on a branch: the CLI sends only what is newer.</summary>
public sealed record BranchHead(string Branch, string Sha, DateTime CommittedAt);

public sealed record SyncStateResponse(Guid RepositoryId, long CommitCount, IReadOnlyList<BranchHead> Branches);

namespace Coditect.Contracts.DevContext;

public sealed record TaskCounts(int Total, int Todo, int InProgress, int Blocked, int Done);

public sealed record WeekCount(string WeekStart, int Commits);

/// <summary>
/// A project's statistics. <c>Blocked</c> counts tasks whose status is <c>blocked</c>; <c>WaitingOnDependencies</c>
/// counts open tasks with an open dependency, whatever their status. <c>CommitsPerWeek</c>: the last 12 ISO weeks
/// (Monday first), oldest first, of the project's repositories.
/// </summary>
public sealed record ProjectStatsResponse(
    Guid ProjectId,
    TaskCounts Tasks,
    double PercentDone,
    int Blocked,
    int WaitingOnDependencies,
    int Overdue,
    long Commits,
    IReadOnlyList<WeekCount> CommitsPerWeek,
    int Contributors,
    DateTime? LastActivityAt);

/// <summary>The organization's Dev Context in numbers; <c>ActiveMembers</c>: members with an audited change in the last 30 days.</summary>
public sealed record DevStatsResponse(
    int Projects,
    int ActiveProjects,
    TaskCounts Tasks,
    int Repositories,
    long Commits,
    int Members,
    int ActiveMembers);

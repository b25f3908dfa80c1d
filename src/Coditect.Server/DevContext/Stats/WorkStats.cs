using System.Globalization;
using Coditect.Contracts.DevContext;
using Coditect.Server.Audit;
using Coditect.Server.Data;
using Coditect.Server.DevContext.Plans;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.DevContext.Repositories;
using Coditect.Server.DevContext.Tasks;
using Coditect.Server.Organizations;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.DevContext.Stats;

/// <summary>
/// Statistics (scoped), computed from indexed aggregates: a project's tasks by status, what blocks them, what is
/// overdue and its repositories' commits; the organization's totals. <c>blocked</c> is the status; tasks waiting on
/// an open dependency are counted apart (<c>waiting_on_dependencies</c>), whatever their status.
/// </summary>
public sealed class WorkStats(CoditectDbContext db)
{
    public const int Weeks = 12;

    /// <summary>Null when no such project is visible.</summary>
    public async Task<ProjectStatsResponse?> ProjectAsync(Guid projectId, CancellationToken ct)
    {
        var project = await db.Set<Project>().AsNoTracking().FirstOrDefaultAsync(p => p.Id == projectId, ct);
        if (project is null)
        {
            return null;
        }

        var now = db.UtcNow;
        var tasks = db.Set<ProjectTask>().AsNoTracking().Where(t => t.ProjectId == projectId);
        var counts = await Counts(tasks, ct);
        var today = DateOnly.FromDateTime(now);
        var overdue = await tasks.CountAsync(t => t.DueDate != null && t.DueDate < today && t.Status != TaskStatuses.Done, ct);
        var waiting = await tasks.CountAsync(t => t.Status != TaskStatuses.Done && db.Set<TaskDependency>()
            .Any(d => d.TaskId == t.Id && db.Set<ProjectTask>().Any(o => o.Id == d.DependsOnId && o.Status != TaskStatuses.Done)), ct);

        // The commits' side reads the roll-ups commit sync keeps (CommitWeek, CommitAuthor, the repository's count and
        // last commit time), never the commits themselves: its cost does not grow with the project's history.
        var repositories = await db.Set<Repository>().AsNoTracking().Where(r => r.ProjectId == projectId)
            .Select(r => new { r.Id, r.CommitCount, r.LastCommitAt }).ToListAsync(ct);
        var repositoryIds = repositories.Select(r => r.Id).ToList();
        var commits = repositories.Sum(r => r.CommitCount);
        var contributors = repositoryIds.Count == 0 ? 0 : await db.Set<CommitAuthor>().AsNoTracking()
            .Where(a => repositoryIds.Contains(a.RepositoryId)).Select(a => a.Email).Distinct().CountAsync(ct);
        var perWeek = await CommitsPerWeekAsync(repositoryIds, today, ct);

        var lastTask = await tasks.MaxAsync(t => (DateTime?)t.UpdatedAt, ct);
        var lastCommit = repositories.Max(r => r.LastCommitAt);
        var lastPlan = await db.Set<PlanVersion>().Where(v => v.ProjectId == projectId).MaxAsync(v => (DateTime?)v.CreatedAt, ct);
        DateTime?[] moments = [project.UpdatedAt, lastTask, lastCommit, lastPlan];
        var percent = counts.Total == 0 ? 0 : Math.Round(100.0 * counts.Done / counts.Total, 1);
        return new ProjectStatsResponse(projectId, counts, percent, counts.Blocked, waiting, overdue, commits, perWeek, contributors, moments.Max());
    }

    public async Task<DevStatsResponse> OrganizationAsync(CancellationToken ct)
    {
        var since = db.UtcNow.AddDays(-30);
        var projects = await db.Set<Project>().CountAsync(ct);
        var active = await db.Set<Project>().CountAsync(p => p.Status == ProjectStatuses.Active, ct);
        var counts = await Counts(db.Set<ProjectTask>().AsNoTracking(), ct);
        var repositories = await db.Set<Repository>().CountAsync(ct);
        var commits = await db.Set<Repository>().SumAsync(r => (long?)r.CommitCount, ct) ?? 0;
        var members = await db.Set<Membership>().CountAsync(ct);
        var activeMembers = await db.Set<Membership>().CountAsync(m => db.Set<AuditEvent>()
            .Any(e => e.ActorType == "user" && e.ActorId == m.UserId && e.OccurredAt >= since), ct);
        return new DevStatsResponse(projects, active, counts, repositories, commits, members, activeMembers);
    }

    private static async Task<TaskCounts> Counts(IQueryable<ProjectTask> tasks, CancellationToken ct)
    {
        var byStatus = await tasks.GroupBy(t => t.Status).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        return new TaskCounts(byStatus.Values.Sum(), byStatus.GetValueOrDefault(TaskStatuses.Todo), byStatus.GetValueOrDefault(TaskStatuses.InProgress),
            byStatus.GetValueOrDefault(TaskStatuses.Blocked), byStatus.GetValueOrDefault(TaskStatuses.Done));
    }

    /// <summary>The last <see cref="Weeks"/> ISO weeks (Monday first) up to this one, oldest first, zeros included.</summary>
    private async Task<List<WeekCount>> CommitsPerWeekAsync(List<Guid> repositoryIds, DateOnly today, CancellationToken ct)
    {
        var monday = today.AddDays(-(((int)today.DayOfWeek + 6) % 7));
        var first = monday.AddDays(-7 * (Weeks - 1));
        var counts = repositoryIds.Count == 0 ? new Dictionary<DateOnly, int>() : await db.Set<CommitWeek>().AsNoTracking()
            .Where(w => repositoryIds.Contains(w.RepositoryId) && w.WeekStart >= first)
            .GroupBy(w => w.WeekStart).Select(g => new { Week = g.Key, Commits = g.Sum(w => w.Commits) })
            .ToDictionaryAsync(g => g.Week, g => (int)g.Commits, ct);
        return [.. Enumerable.Range(0, Weeks).Select(i => first.AddDays(7 * i))
            .Select(week => new WeekCount(week.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), counts.GetValueOrDefault(week)))];
    }
}

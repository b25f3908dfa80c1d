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

    /// <summary>
    /// Null when no such project is visible. Two statements: everything but the weeks in one row (tasks counted in one
    /// pass over the project's tasks; commits, contributors and weeks from the roll-ups commit sync keeps, never the
    /// commits themselves, so the cost does not grow with the history), then the weeks. Each table is filtered by the
    /// organization explicitly (SQLite has no row-level security; raw SQL has no EF tenant filter).
    /// </summary>
    public async Task<ProjectStatsResponse?> ProjectAsync(Guid projectId, CancellationToken ct)
    {
        var tenantId = db.Tenant.TenantId!.Value;
        var today = DateOnly.FromDateTime(db.UtcNow);
        string todo = TaskStatuses.Todo, progress = TaskStatuses.InProgress, blocked = TaskStatuses.Blocked, done = TaskStatuses.Done;
        var row = (await db.Database.SqlQuery<ProjectRow>($"""
            SELECT p.updated_at AS "ProjectUpdatedAt", t.total AS "Total", t.todo AS "Todo", t.in_progress AS "InProgress",
                   t.blocked AS "Blocked", t.done AS "Done", t.overdue AS "Overdue", t.last_task AS "LastTask",
                   (SELECT count(*) FROM tasks w WHERE w.tenant_id = {tenantId} AND w.project_id = {projectId} AND w.status <> {done}
                       AND EXISTS (SELECT 1 FROM task_dependencies d JOIN tasks o ON o.id = d.depends_on_id
                                   WHERE d.tenant_id = {tenantId} AND d.task_id = w.id AND o.status <> {done})) AS "Waiting",
                   (SELECT CAST(coalesce(sum(r.commit_count), 0) AS bigint) FROM repositories r
                    WHERE r.tenant_id = {tenantId} AND r.project_id = {projectId}) AS "Commits",
                   (SELECT max(r.last_commit_at) FROM repositories r WHERE r.tenant_id = {tenantId} AND r.project_id = {projectId}) AS "LastCommit",
                   (SELECT count(DISTINCT a.email) FROM commit_authors a JOIN repositories r ON r.id = a.repository_id
                    WHERE a.tenant_id = {tenantId} AND r.project_id = {projectId}) AS "Contributors",
                   (SELECT max(v.created_at) FROM plan_versions v WHERE v.tenant_id = {tenantId} AND v.project_id = {projectId}) AS "LastPlan"
            FROM projects p
            CROSS JOIN (SELECT count(*) AS total,
                               coalesce(sum(CASE WHEN status = {todo} THEN 1 ELSE 0 END), 0) AS todo,
                               coalesce(sum(CASE WHEN status = {progress} THEN 1 ELSE 0 END), 0) AS in_progress,
                               coalesce(sum(CASE WHEN status = {blocked} THEN 1 ELSE 0 END), 0) AS blocked,
                               coalesce(sum(CASE WHEN status = {done} THEN 1 ELSE 0 END), 0) AS done,
                               coalesce(sum(CASE WHEN due_date IS NOT NULL AND due_date < {today} AND status <> {done} THEN 1 ELSE 0 END), 0) AS overdue,
                               max(updated_at) AS last_task
                        FROM tasks WHERE tenant_id = {tenantId} AND project_id = {projectId}) AS t
            WHERE p.tenant_id = {tenantId} AND p.id = {projectId}
            """).ToListAsync(ct)).SingleOrDefault();
        if (row is null)
        {
            return null;
        }

        var counts = new TaskCounts((int)row.Total, (int)row.Todo, (int)row.InProgress, (int)row.Blocked, (int)row.Done);
        var perWeek = await CommitsPerWeekAsync(projectId, today, ct);
        DateTime?[] moments = [row.ProjectUpdatedAt, row.LastTask, row.LastCommit, row.LastPlan];
        var last = moments.Max() is { } moment ? DateTime.SpecifyKind(moment, DateTimeKind.Utc) : (DateTime?)null;
        var percent = counts.Total == 0 ? 0 : Math.Round(100.0 * counts.Done / counts.Total, 1);
        return new ProjectStatsResponse(projectId, counts, percent, counts.Blocked, (int)row.Waiting, (int)row.Overdue, row.Commits, perWeek,
            (int)row.Contributors, last);
    }

    /// <summary>The one row of a project's statistics statement.</summary>
    public sealed class ProjectRow
    {
        public DateTime ProjectUpdatedAt { get; set; }
        public long Total { get; set; }
        public long Todo { get; set; }
        public long InProgress { get; set; }
        public long Blocked { get; set; }
        public long Done { get; set; }
        public long Overdue { get; set; }
        public DateTime? LastTask { get; set; }
        public long Waiting { get; set; }
        public long Commits { get; set; }
        public DateTime? LastCommit { get; set; }
        public long Contributors { get; set; }
        public DateTime? LastPlan { get; set; }
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
    private async Task<List<WeekCount>> CommitsPerWeekAsync(Guid projectId, DateOnly today, CancellationToken ct)
    {
        var monday = today.AddDays(-(((int)today.DayOfWeek + 6) % 7));
        var first = monday.AddDays(-7 * (Weeks - 1));
        var counts = await db.Set<CommitWeek>().AsNoTracking()
            .Where(w => w.WeekStart >= first && db.Set<Repository>().Any(r => r.Id == w.RepositoryId && r.ProjectId == projectId))
            .GroupBy(w => w.WeekStart).Select(g => new { Week = g.Key, Commits = g.Sum(w => w.Commits) })
            .ToDictionaryAsync(g => g.Week, g => (int)g.Commits, ct);
        return [.. Enumerable.Range(0, Weeks).Select(i => first.AddDays(7 * i))
            .Select(week => new WeekCount(week.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), counts.GetValueOrDefault(week)))];
    }
}

using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Data;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.DevContext.Tasks;

/// <summary>
/// Dependencies between tasks of one organization (any projects), kept free of cycles: before an edge is added, the
/// graph is searched from the task depended on for a way back to the dependent task; if there is one, the edge is
/// refused with 409 <c>DEPENDENCY_CYCLE</c> naming the cycle. Two requests adding the two halves of a cycle at once
/// would each see no cycle, so the check and the insert run under the organization's dependency lock (a
/// transaction-scoped advisory lock on PostgreSQL; SQLite runs one writing transaction at a time).
/// </summary>
public sealed class TaskGraph(CoditectDbContext db, TaskBoard board, TenantContext tenant)
{
    /// <summary>Advisory lock keys of this kind: the high half names the lock, the low half the organization.</summary>
    private const long LockNamespace = 0x64657073L << 32; // "deps"

    public async Task<Outcome<DependenciesResponse>> GetAsync(string key, CancellationToken ct)
    {
        var task = await board.FindAsync(key, ct);
        return task is null ? Answers.TaskNotFound() : await ResponseAsync(task.Id, ct);
    }

    /// <summary>Makes the task depend on another (by id or reference); adding an existing dependency again changes nothing.</summary>
    public async Task<Outcome<DependenciesResponse>> AddAsync(string key, AddDependencyRequest input, CancellationToken ct)
    {
        var task = await board.FindAsync(key, ct);
        if (task is null)
        {
            return Answers.TaskNotFound();
        }

        var dependsOnKey = input.DependsOnId?.ToString() ?? input.Reference;
        if (string.IsNullOrWhiteSpace(dependsOnKey))
        {
            return Refusal.Invalid("depends_on_id", "is required (or send reference, e.g. PRJ-42).");
        }

        var dependsOn = await board.FindAsync(dependsOnKey, ct);
        if (dependsOn is null)
        {
            return new Refusal(StatusCodes.Status404NotFound, ProblemCodes.TaskNotFound, "The task to depend on was not found.",
                Extensions: new Dictionary<string, object?> { ["field"] = input.DependsOnId is null ? "reference" : "depends_on_id" });
        }

        await LockAsync(ct);
        if (await db.Set<TaskDependency>().AnyAsync(d => d.TaskId == task.Id && d.DependsOnId == dependsOn.Id, ct))
        {
            return await ResponseAsync(task.Id, ct);
        }

        if (await CycleAsync(task.Id, dependsOn.Id, ct) is { } cycle)
        {
            var links = await CycleLinksAsync(cycle, ct);
            return Refusal.Conflict(ProblemCodes.DependencyCycle,
                $"The dependency would close a cycle: {string.Join(" → ", links.Select(l => l.Reference).Append(links[0].Reference))}.",
                new Dictionary<string, object?> { ["field"] = input.DependsOnId is null ? "reference" : "depends_on_id", ["cycle"] = links });
        }

        db.Add(new TaskDependency { TaskId = task.Id, DependsOnId = dependsOn.Id });
        await db.SaveChangesAsync(ct);
        var response = await ResponseAsync(task.Id, ct);
        await db.RaiseAsync(DevContextEvents.TaskUpdated, await board.ResponseAsync(task, ct), ct);
        return response;
    }

    public async Task<Outcome<DependenciesResponse>> RemoveAsync(string key, string dependsOnKey, CancellationToken ct)
    {
        var task = await board.FindAsync(key, ct);
        var dependsOn = task is null ? null : await board.FindAsync(dependsOnKey, ct);
        var dependency = task is null || dependsOn is null
            ? null
            : await db.Set<TaskDependency>().FirstOrDefaultAsync(d => d.TaskId == task.Id && d.DependsOnId == dependsOn.Id, ct);
        if (task is null)
        {
            return Answers.TaskNotFound();
        }

        if (dependency is null)
        {
            return Refusal.NotFound(ProblemCodes.DependencyNotFound, "The dependency");
        }

        db.Remove(dependency);
        await db.SaveChangesAsync(ct);
        var response = await ResponseAsync(task.Id, ct);
        await db.RaiseAsync(DevContextEvents.TaskUpdated, await board.ResponseAsync(task, ct), ct);
        return response;
    }

    /// <summary>
    /// The cycle a new edge <paramref name="taskId"/> → <paramref name="dependsOnId"/> would close, as the tasks in
    /// order from <paramref name="taskId"/>; null when there is none. A breadth-first search from the task depended
    /// on, one query per level of the graph.
    /// </summary>
    internal async Task<List<Guid>?> CycleAsync(Guid taskId, Guid dependsOnId, CancellationToken ct)
    {
        if (taskId == dependsOnId)
        {
            return [taskId];
        }

        var cameFrom = new Dictionary<Guid, Guid> { [dependsOnId] = dependsOnId };
        var frontier = new List<Guid> { dependsOnId };
        while (frontier.Count > 0)
        {
            var edges = await db.Set<TaskDependency>().AsNoTracking().Where(d => frontier.Contains(d.TaskId))
                .Select(d => new { d.TaskId, d.DependsOnId }).ToListAsync(ct);
            var next = new List<Guid>();
            foreach (var edge in edges)
            {
                if (!cameFrom.TryAdd(edge.DependsOnId, edge.TaskId))
                {
                    continue;
                }

                if (edge.DependsOnId == taskId)
                {
                    // taskId → dependsOnId → ... → taskId: walk back from taskId to dependsOnId.
                    var path = new List<Guid>();
                    for (var at = edge.TaskId; ; at = cameFrom[at])
                    {
                        path.Add(at);
                        if (at == dependsOnId)
                        {
                            break;
                        }
                    }

                    path.Reverse();
                    path.Insert(0, taskId);
                    return path;
                }

                next.Add(edge.DependsOnId);
            }

            frontier = next;
        }

        return null;
    }

    private async Task LockAsync(CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
        {
            var bytes = tenant.TenantId!.Value.ToByteArray();
            var key = LockNamespace | (uint)BitConverter.ToInt32(bytes, 0);
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({key})", ct);
        }
    }

    private async Task<List<TaskLink>> CycleLinksAsync(List<Guid> cycle, CancellationToken ct)
    {
        var tasks = await db.Set<ProjectTask>().AsNoTracking().Where(t => cycle.Contains(t.Id)).ToListAsync(ct);
        var links = (await board.LinksAsync(tasks, ct)).ToDictionary(l => l.Id);
        return [.. cycle.Select(id => links[id])];
    }

    private async Task<DependenciesResponse> ResponseAsync(Guid taskId, CancellationToken ct)
    {
        var dependsOn = await db.Set<TaskDependency>().AsNoTracking().Where(d => d.TaskId == taskId)
            .Join(db.Set<ProjectTask>(), d => d.DependsOnId, t => t.Id, (d, t) => t).ToListAsync(ct);
        var dependents = await db.Set<TaskDependency>().AsNoTracking().Where(d => d.DependsOnId == taskId)
            .Join(db.Set<ProjectTask>(), d => d.TaskId, t => t.Id, (d, t) => t).ToListAsync(ct);
        return new DependenciesResponse(taskId, await board.LinksAsync(dependsOn, ct), await board.LinksAsync(dependents, ct));
    }
}

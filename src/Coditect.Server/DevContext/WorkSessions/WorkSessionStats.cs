using System.Globalization;
using Coditect.Contracts.DevContext;
using Coditect.Server.Data;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.Identity;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.DevContext.WorkSessions;

/// <summary>
/// Work-session statistics of the organization or one project (scoped), from indexed aggregates. For a project, the
/// contents are those its messages use (a content shared with another project counts in both).
/// </summary>
public sealed class WorkSessionStats(CoditectDbContext db)
{
    public const int Days = 30;
    public const int TopMembers = 10;

    /// <summary>Null when the project is not visible.</summary>
    public async Task<WorkSessionStatsResponse?> ForAsync(Guid? projectId, CancellationToken ct)
    {
        if (projectId is { } project && !await db.Set<Project>().AnyAsync(p => p.Id == project, ct))
        {
            return null;
        }

        var sessions = db.Set<WorkSession>().AsNoTracking().Where(s => projectId == null || s.ProjectId == projectId);
        var messages = db.Set<Message>().AsNoTracking().Where(m => projectId == null || sessions.Any(s => s.Id == m.WorkSessionId));
        var sessionCount = await sessions.CountAsync(ct);
        var conversations = await db.Set<Conversation>().AsNoTracking().LongCountAsync(c => sessions.Any(s => s.Id == c.WorkSessionId), ct);
        var messageCount = await messages.LongCountAsync(ct);

        // Bytes the messages would take without de-duplication, against the bytes of the contents they use.
        var referenced = await messages.Join(db.Set<MessageContent>(), m => m.ContentId, c => c.Id, (m, c) => (long)c.Bytes).SumAsync(ct);
        var contents = db.Set<MessageContent>().AsNoTracking().Where(c => projectId == null || messages.Any(m => m.ContentId == c.Id));
        var unique = await contents.LongCountAsync(ct);
        var bytes = await contents.SumAsync(c => (long)c.Bytes, ct);

        var ended = await sessions.Where(s => s.EndedAt != null).Select(s => new { s.StartedAt, s.EndedAt }).ToListAsync(ct);
        double? average = ended.Count == 0 ? null : Math.Round(ended.Average(s => (s.EndedAt!.Value - s.StartedAt).TotalSeconds), 1);

        var byModel = await messages.Where(m => m.Model != null).GroupBy(m => m.Model!)
            .Select(g => new ModelTokens(g.Key, g.LongCount(), g.Sum(m => m.InputTokens), g.Sum(m => m.OutputTokens), g.Sum(m => m.CacheReadTokens), g.Sum(m => m.CacheWriteTokens)))
            .ToListAsync(ct);

        var today = db.UtcNow.Date;
        var since = today.AddDays(-(Days - 1));
        var starts = await sessions.Where(s => s.StartedAt >= since).Select(s => s.StartedAt).ToListAsync(ct);
        var perDay = Enumerable.Range(0, Days).Select(i => since.AddDays(i))
            .Select(d => new DayCount(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), starts.Count(s => s.Date == d))).ToList();

        var members = await messages.Join(sessions.Where(s => s.UserId != null), m => m.WorkSessionId, s => s.Id, (m, s) => s.UserId!.Value)
            .GroupBy(u => u).Select(g => new { UserId = g.Key, Messages = g.LongCount() })
            .OrderByDescending(x => x.Messages).Take(TopMembers).ToListAsync(ct);
        var userIds = members.Select(m => m.UserId).ToList();
        var names = await db.Set<User>().AsNoTracking().Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Name, ct);
        var sessionCounts = await sessions.Where(s => s.UserId != null && userIds.Contains(s.UserId!.Value)).GroupBy(s => s.UserId!.Value)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);

        return new WorkSessionStatsResponse(projectId, sessionCount, conversations, messageCount, unique, bytes, Math.Max(0, referenced - bytes), average,
            [.. byModel.OrderByDescending(m => m.Messages).ThenBy(m => m.Model, StringComparer.Ordinal)], perDay,
            [.. members.Select(m => new MemberActivity(m.UserId, names.GetValueOrDefault(m.UserId), m.Messages, sessionCounts.GetValueOrDefault(m.UserId)))]);
    }
}

/// <summary>
/// The quota counters billing reads (decisions, "Content hash": <c>messages</c> counts message rows,
/// <c>message_bytes</c> sums the organization's unique contents). Counted from the tables in the caller's transaction,
/// so a check and the batch it guards see the same rows. Register-free for callers: inject it (scoped).
/// </summary>
public sealed class MessageQuotaCounter(CoditectDbContext db)
{
    /// <summary>The current organization's (the tenant scope's) message rows and stored content bytes.</summary>
    public async Task<(long Messages, long MessageBytes)> CountAsync(CancellationToken ct) =>
        (await MessagesAsync(db, ct), await BytesAsync(db, ct));

    /// <summary>
    /// The organization's messages, from the count each work session keeps (the message log adds to it in the append's
    /// transaction; a work session's messages go with it): one row a session, not one a message, so a check at every
    /// append stays cheap at millions of messages.
    /// </summary>
    public static Task<long> MessagesAsync(CoditectDbContext db, CancellationToken ct) =>
        db.Set<WorkSession>().SumAsync(s => s.MessageCount, ct);

    /// <summary>The organization's stored content bytes (each unique content once).</summary>
    public static Task<long> BytesAsync(CoditectDbContext db, CancellationToken ct) =>
        db.Set<MessageContent>().SumAsync(c => (long)c.Bytes, ct);

    /// <summary>The counts of <paramref name="tenantId"/>, which must be the organization in scope (the tenant filter and row-level security apply).</summary>
    public async Task<(long Messages, long MessageBytes)> CountAsync(Guid tenantId, CancellationToken ct)
    {
        if (db.Tenant.TenantId != tenantId)
        {
            throw new InvalidOperationException("Count an organization's messages inside its own tenant scope.");
        }

        return await CountAsync(ct);
    }
}

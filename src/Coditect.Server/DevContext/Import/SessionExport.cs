using System.Text;
using System.Text.Json;
using Coditect.Contracts.DevContext;
using Coditect.Server.Data;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.DevContext.WorkSessions;
using Coditect.Server.Platform;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.DevContext.Import;

/// <summary>
/// The export format (JSON Lines, <c>application/x-ndjson</c>): per work session one <c>work_session</c> line, then its
/// <c>conversation</c> lines (parents first), then its <c>message</c> lines in timeline order, each with its
/// <c>content</c> (the canonical JSON the hash covers) and <c>hash</c>. Ids are the exporting organization's; the
/// importer keeps them as external ids where the object had none, so importing the same file twice adds nothing, and
/// the hashes are the same in any organization. Written as it is read: memory does not grow with the export.
/// </summary>
public sealed class SessionExport(CoditectDbContext db)
{
    public const string ContentType = "application/x-ndjson";
    public const string FormatName = ImportFormats.ExportFormatName;
    public const int Version = 1;
    private const int Page = 1000;

    public Task<bool> ExistsAsync(Guid id, CancellationToken ct) => db.Set<WorkSession>().AnyAsync(s => s.Id == id, ct);

    /// <summary>The ids of the organization's (or the project's) work sessions, oldest first; null when the project is not visible.</summary>
    public async Task<List<Guid>?> SessionIdsAsync(Guid? projectId, CancellationToken ct)
    {
        if (projectId is { } project && !await db.Set<Project>().AnyAsync(p => p.Id == project, ct))
        {
            return null;
        }

        return await db.Set<WorkSession>().AsNoTracking().Where(s => projectId == null || s.ProjectId == projectId)
            .OrderBy(s => s.StartedAt).ThenBy(s => s.Id).Select(s => s.Id).ToListAsync(ct);
    }

    public async Task WriteAsync(Stream output, IReadOnlyList<Guid> sessionIds, CancellationToken ct)
    {
        var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
        await using (writer.ConfigureAwait(false))
        {
            foreach (var id in sessionIds)
            {
                await WriteSessionAsync(writer, id, ct);
            }

            await writer.FlushAsync(ct);
        }
    }

    private async Task WriteSessionAsync(StreamWriter writer, Guid id, CancellationToken ct)
    {
        var session = await db.Set<WorkSession>().AsNoTracking().FirstAsync(s => s.Id == id, ct);
        var project = session.ProjectId is { } projectId
            ? await db.Set<Project>().AsNoTracking().Where(p => p.Id == projectId).Select(p => p.Slug).FirstOrDefaultAsync(ct)
            : null;
        await writer.WriteLineAsync(Line(new
        {
            type = "work_session",
            format = FormatName,
            version = Version,
            id = session.Id,
            tool = session.Tool,
            external_id = session.ExternalId,
            project,
            branch = session.Branch,
            model = session.Model,
            working_directory = session.WorkingDirectory,
            title = session.Title,
            started_at = session.StartedAt,
            ended_at = session.EndedAt,
            tags = WorkInput.ReadList(session.Tags),
        }));

        var conversations = await db.Set<Conversation>().AsNoTracking().Where(c => c.WorkSessionId == id).OrderBy(c => c.CreatedAt).ThenBy(c => c.Id).ToListAsync(ct);
        foreach (var c in ParentsFirst(conversations))
        {
            await writer.WriteLineAsync(Line(new
            {
                type = "conversation",
                id = c.Id,
                parent_id = c.ParentId,
                external_id = c.ExternalId,
                title = c.Title,
                summary = c.Summary,
            }));
        }

        foreach (var c in ParentsFirst(conversations))
        {
            var after = -1;
            while (true)
            {
                var page = await db.Set<Message>().AsNoTracking().Where(m => m.ConversationId == c.Id && m.Position > after)
                    .Join(db.Set<MessageContent>(), m => m.ContentId, x => x.Id, (m, x) => new { m, x.Hash, x.Blocks })
                    .OrderBy(x => x.m.Position).Take(Page).ToListAsync(ct);
                foreach (var row in page)
                {
                    var m = row.m;
                    var head = Line(new
                    {
                        type = "message",
                        id = m.Id,
                        conversation_id = m.ConversationId,
                        parent_id = m.ParentId,
                        external_id = m.ExternalId,
                        position = m.Position,
                        role = m.Role,
                        created_at = m.CreatedAt,
                        model = m.Model,
                        usage = new { input_tokens = m.InputTokens, output_tokens = m.OutputTokens, cache_read_tokens = m.CacheReadTokens, cache_write_tokens = m.CacheWriteTokens },
                        hash = row.Hash,
                    });
                    await writer.WriteAsync(head.AsMemory(0, head.Length - 1), ct);
                    await writer.WriteAsync(",\"content\":");
                    await writer.WriteAsync(row.Blocks);
                    await writer.WriteLineAsync("}");
                }

                if (page.Count < Page)
                {
                    break;
                }

                after = page[^1].m.Position;
            }
        }
    }

    private static string Line<T>(T value) => JsonSerializer.Serialize(value, Coditect.Server.Platform.Outbox.Outbox.EventJson);

    private static List<Conversation> ParentsFirst(List<Conversation> conversations)
    {
        var ordered = new List<Conversation>(conversations.Count);
        var placed = new HashSet<Guid>();
        while (ordered.Count < conversations.Count)
        {
            var before = ordered.Count;
            foreach (var c in conversations.Where(c => !placed.Contains(c.Id) && (c.ParentId is null || placed.Contains(c.ParentId.Value))))
            {
                ordered.Add(c);
                placed.Add(c.Id);
            }

            if (ordered.Count == before)
            {
                ordered.AddRange(conversations.Where(c => !placed.Contains(c.Id)));
                break;
            }
        }

        return ordered;
    }
}

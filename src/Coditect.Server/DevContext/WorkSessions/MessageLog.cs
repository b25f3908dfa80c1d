using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Data;
using Coditect.Server.DevContext.Search;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Coditect.Server.DevContext.WorkSessions;

/// <summary>
/// A message ready to store: validated, its content canonical and hashed. Its search fields are made only when its
/// content is new to the organization (<see cref="Search"/>), so a duplicate costs a hash, not a tokenization.
/// </summary>
public sealed record PreparedMessage(
    string Role, DateTime CreatedAt, string? Model, long InputTokens, long OutputTokens, long CacheReadTokens, long CacheWriteTokens,
    string? ExternalId, Guid? ParentId, string? ParentExternalId, string Canonical, string Hash, int Bytes, IReadOnlyList<Block> Blocks)
{
    public static PreparedMessage Of(
        string role, IReadOnlyList<Block> blocks, DateTime createdAt, string? model = null, TokenUsage? usage = null,
        string? externalId = null, Guid? parentId = null, string? parentExternalId = null)
    {
        var canonical = ContentHash.Canonical(blocks);
        var (hash, bytes) = ContentHash.Of(canonical);
        return new PreparedMessage(role, createdAt, model, usage?.InputTokens ?? 0, usage?.OutputTokens ?? 0, usage?.CacheReadTokens ?? 0,
            usage?.CacheWriteTokens ?? 0, externalId, parentId, parentExternalId, canonical, hash, bytes, blocks);
    }

    public SearchFields Search() => SearchText.Fields(Blocks);
}

/// <summary>
/// A batch would take the organization past its plan's message quota (<see cref="Billing.Quota.Messages"/> or
/// <see cref="Billing.Quota.MessageBytes"/>); thrown before the batch writes anything, answered as 402 QUOTA_EXCEEDED.
/// </summary>
public sealed class MessageQuotaExceededException(Refusal refusal) : Exception(refusal.Title)
{
    public Refusal Refusal { get; } = refusal;
}

/// <summary>What one stored batch did.</summary>
public sealed record AppendResult(int Inserted, int AlreadyKnown, int NewContents, long NewBytes, List<Guid> Ids);

/// <summary>
/// The message log (scoped): appends batches of up to <see cref="MaxBatch"/> messages to a conversation, set-based.
/// A batch's contents are looked up by hash in the organization and only new ones stored (with their search index
/// entry); positions come from <c>conversations.next_position</c> (<c>UPDATE ... RETURNING</c>, the row lock orders
/// parallel appends); a message whose external id the conversation has is skipped, so re-imports add nothing.
/// Messages and contents are not audited (decisions, "Audit volume"). The plan's message and byte quotas are checked
/// before a batch writes: new messages, and the bytes of contents the organization does not have yet.
/// </summary>
public sealed class MessageLog(CoditectDbContext db, TenantContext tenant, Billing.Quotas quotas)
{
    public const int MaxBatch = 1000;
    public const int MaxBlocks = 200;
    public const int MaxBlockChars = 2_000_000;
    public const int MaxShort = 200;

    /// <summary>The route's body limit (decisions: message batches 16 MiB).</summary>
    public const long BodyLimit = 16 * 1024 * 1024;

    public static readonly string[] Roles = [MessageRoles.User, MessageRoles.Assistant, MessageRoles.System, MessageRoles.Tool];

    public async Task<Outcome<MessageBatchResponse>> AppendAsync(Guid sessionId, Guid? conversationId, MessageBatchRequest input, CancellationToken ct)
    {
        var session = await db.Set<WorkSession>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == sessionId, ct);
        if (session is null)
        {
            return WorkAnswers.SessionNotFound();
        }

        var conversation = conversationId is { } cid
            ? await db.Set<Conversation>().AsNoTracking().FirstOrDefaultAsync(c => c.Id == cid && c.WorkSessionId == sessionId, ct)
            : await MainConversationAsync(session, ct);
        if (conversation is null)
        {
            return WorkAnswers.ConversationNotFound();
        }

        var messages = input.Messages ?? [];
        if (messages.Count is 0 or > MaxBatch)
        {
            return Refusal.Invalid("messages", $"must hold 1 to {MaxBatch:N0} messages.");
        }

        var errors = new Validator();
        var now = db.UtcNow;
        var prepared = new List<PreparedMessage>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            if (Prepare(errors, $"messages[{i}]", messages[i], now) is { } message)
            {
                prepared.Add(message);
            }
        }

        var parentIds = prepared.Where(p => p.ParentId is not null).Select(p => p.ParentId!.Value).Distinct().ToList();
        if (parentIds.Count > 0)
        {
            var known = await db.Set<Message>().Where(m => parentIds.Contains(m.Id) && m.WorkSessionId == sessionId).Select(m => m.Id).ToListAsync(ct);
            for (var i = 0; i < messages.Count; i++)
            {
                if (messages[i]?.ParentId is { } parent && !known.Contains(parent))
                {
                    errors.Add($"messages[{i}].parent_id", "is not a message of this work session.");
                }
            }
        }

        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        AppendResult result;
        try
        {
            result = await AppendPreparedAsync(session.Id, conversation.Id, prepared, ct);
        }
        catch (MessageQuotaExceededException e)
        {
            return e.Refusal;
        }

        if (result.Inserted > 0)
        {
            await db.RaiseAsync(DevContextEvents.MessagesAppended, new
            {
                id = session.Id,
                conversation_id = conversation.Id,
                inserted = result.Inserted,
                already_known = result.AlreadyKnown,
                new_contents = result.NewContents,
                new_bytes = result.NewBytes,
            }, ct);
        }

        return new MessageBatchResponse(messages.Count, result.Inserted, result.AlreadyKnown, result.NewContents, result.NewBytes, result.Ids);
    }

    /// <summary>The work session's main conversation (external id <c>main</c>), made on first use.</summary>
    public async Task<Conversation> MainConversationAsync(WorkSession session, CancellationToken ct)
    {
        var main = await db.Set<Conversation>().AsNoTracking()
            .FirstOrDefaultAsync(c => c.WorkSessionId == session.Id && c.ExternalId == WorkSessionAdmin.MainConversation, ct);
        if (main is not null)
        {
            return main;
        }

        main = new Conversation { TenantId = session.TenantId, WorkSessionId = session.Id, ExternalId = WorkSessionAdmin.MainConversation, Title = session.Title };
        db.Add(main);
        await db.SaveChangesAsync(ct);
        db.Entry(main).State = EntityState.Detached;
        return main;
    }

    /// <summary>Validates one message of the API, naming fields under <paramref name="at"/>; null when it has errors.</summary>
    public static PreparedMessage? Prepare(Validator errors, string at, MessageInput? m, DateTime now)
    {
        if (m is null)
        {
            errors.Add(at, "must be a message object.");
            return null;
        }

        var before = errors.Count;
        var role = m.Role ?? "";
        if (!Roles.Contains(role))
        {
            errors.Add($"{at}.role", $"must be one of {string.Join(", ", Roles)}.");
        }

        var blocks = new List<Block>();
        if (m.Blocks is { Count: > 0 } && m.Text is not null)
        {
            errors.Add($"{at}.text", "must be left out when blocks are sent.");
        }
        else if (m.Blocks is { Count: > 0 } wire)
        {
            if (wire.Count > MaxBlocks)
            {
                errors.Add($"{at}.blocks", $"must have at most {MaxBlocks} items.");
            }

            for (var j = 0; j < wire.Count && j < MaxBlocks; j++)
            {
                if (ReadBlock(errors, $"{at}.blocks[{j}]", wire[j]) is { } block)
                {
                    blocks.Add(block);
                }
            }
        }
        else if (m.Text is not null)
        {
            blocks.Add(new Block(BlockTypes.Text, Text: LongText(errors, $"{at}.text", m.Text)));
        }
        else
        {
            errors.Add($"{at}.blocks", "must hold at least one block (or send text).");
        }

        var model = WorkInput.Optional(errors, $"{at}.model", m.Model);
        var externalId = WorkInput.Optional(errors, $"{at}.external_id", m.ExternalId);
        var parentExternal = WorkInput.Optional(errors, $"{at}.parent_external_id", m.ParentExternalId);
        if (m.Usage is { } usage)
        {
            foreach (var (name, value) in new[] { ("input_tokens", usage.InputTokens), ("output_tokens", usage.OutputTokens),
                         ("cache_read_tokens", usage.CacheReadTokens), ("cache_write_tokens", usage.CacheWriteTokens) })
            {
                if (value is < 0)
                {
                    errors.Add($"{at}.usage.{name}", "must not be negative.");
                }
            }
        }

        return errors.Count == before
            ? PreparedMessage.Of(role, blocks, Utc(m.CreatedAt ?? now), model, m.Usage, externalId, m.ParentId, parentExternal)
            : null;
    }

    private static Block? ReadBlock(Validator errors, string at, ContentBlock? b)
    {
        switch (b?.Type)
        {
            case BlockTypes.Text or BlockTypes.Thinking:
                if (b.Text is null)
                {
                    errors.Add($"{at}.text", "is required.");
                }

                return new Block(b.Type, Text: LongText(errors, $"{at}.text", b.Text ?? ""));
            case BlockTypes.ToolUse:
                var name = errors.Required($"{at}.name", b.Name, MaxShort);
                if (b.Input is { } input && input.ValueKind == JsonValueKind.Undefined)
                {
                    errors.Add($"{at}.input", "must be JSON.");
                }

                return new Block(b.Type, Name: name, Input: b.Input is { ValueKind: not JsonValueKind.Undefined } value ? value : EmptyObject);
            case BlockTypes.ToolResult:
                return new Block(b.Type, Content: LongText(errors, $"{at}.content", b.Content ?? ""), IsError: b.IsError ?? false);
            default:
                errors.Add($"{at}.type", $"must be one of {BlockTypes.Text}, {BlockTypes.Thinking}, {BlockTypes.ToolUse}, {BlockTypes.ToolResult}.");
                return null;
        }
    }

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private static string LongText(Validator errors, string field, string text) =>
        WorkInput.LongText(errors, field, text, MaxBlockChars) ?? "";

    public static DateTime Utc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Local => time.ToUniversalTime(),
        DateTimeKind.Unspecified => DateTime.SpecifyKind(time, DateTimeKind.Utc),
        _ => time,
    };

    /// <summary>
    /// Stores prepared messages in order (the importers' path too): skips external ids the conversation has, resolves
    /// parents named by external id (in the batch or stored), stores new contents, takes positions, inserts.
    /// </summary>
    public async Task<AppendResult> AppendPreparedAsync(Guid sessionId, Guid conversationId, IReadOnlyList<PreparedMessage> batch, CancellationToken ct)
    {
        var tenantId = tenant.TenantId!.Value;
        var externalIds = batch.Where(p => p.ExternalId is not null).Select(p => p.ExternalId!)
            .Concat(batch.Where(p => p.ParentExternalId is not null).Select(p => p.ParentExternalId!)).Distinct().ToList();
        var known = new Dictionary<string, Guid>(StringComparer.Ordinal);
        foreach (var chunk in externalIds.Chunk(500))
        {
            foreach (var row in await db.Set<Message>().AsNoTracking().Where(m => m.ConversationId == conversationId && chunk.Contains(m.ExternalId))
                         .Select(m => new { m.ExternalId, m.Id }).ToListAsync(ct))
            {
                known[row.ExternalId!] = row.Id;
            }
        }

        var ids = new List<Guid>(batch.Count);
        var fresh = new List<(PreparedMessage Message, Guid Id)>();
        var alreadyKnown = 0;
        foreach (var p in batch)
        {
            if (p.ExternalId is { } external && known.TryGetValue(external, out var existing))
            {
                ids.Add(existing);
                alreadyKnown++;
                continue;
            }

            var id = Guid.CreateVersion7();
            if (p.ExternalId is { } newExternal)
            {
                known[newExternal] = id;
            }

            ids.Add(id);
            fresh.Add((p, id));
        }

        if (fresh.Count == 0)
        {
            return new AppendResult(0, alreadyKnown, 0, 0, ids);
        }

        if (await quotas.EnsureRoomAsync(Billing.Quota.Messages, fresh.Count, ct) is { } full)
        {
            throw new MessageQuotaExceededException(full);
        }

        // On PostgreSQL every search vector also names the projects its content appears in (migration 0026), so that a
        // search in a project asks the index for that project's contents only.
        var lexemes = new List<string> { MessageSearch.TenantLexeme(tenantId) };
        if (db.Database.IsNpgsql() && await db.Set<WorkSession>().Where(s => s.Id == sessionId).Select(s => s.ProjectId).FirstOrDefaultAsync(ct) is { } projectId)
        {
            lexemes.Add(MessageSearch.ProjectLexeme(projectId));
        }

        var (contentIds, stored, newBytes) = await StoreContentsAsync(tenantId, lexemes, fresh.Select(f => f.Message), ct);
        if (lexemes.Count > 1)
        {
            await AddLexemeAsync(lexemes[1], [.. contentIds.Values.Where(id => !stored.Contains(id))], ct);
        }

        var newContents = stored.Count;
        var now = db.UtcNow;
        var next = (await db.Database.SqlQuery<int>($"""
            UPDATE conversations SET next_position = next_position + {fresh.Count}, message_count = message_count + {fresh.Count}, updated_at = {now}
            WHERE id = {conversationId}
            RETURNING next_position AS "Value"
            """).ToListAsync(ct)).Single();
        var first = next - fresh.Count;
        var rows = fresh.Select((f, i) => new Message
        {
            Id = f.Id,
            TenantId = tenantId,
            WorkSessionId = sessionId,
            ConversationId = conversationId,
            Position = first + i,
            Role = f.Message.Role,
            CreatedAt = f.Message.CreatedAt,
            Model = f.Message.Model,
            InputTokens = f.Message.InputTokens,
            OutputTokens = f.Message.OutputTokens,
            CacheReadTokens = f.Message.CacheReadTokens,
            CacheWriteTokens = f.Message.CacheWriteTokens,
            ExternalId = f.Message.ExternalId,
            ParentId = f.Message.ParentId ?? (f.Message.ParentExternalId is { } parent && known.TryGetValue(parent, out var parentId) ? parentId : null),
            ContentId = contentIds[f.Message.Hash],
        }).ToList();
        if (db.Database.IsNpgsql())
        {
            await InsertMessagesPostgresAsync(rows, ct);
        }
        else
        {
            await InsertMessagesSqliteAsync(rows, ct);
        }

        await db.Database.ExecuteSqlAsync(
            $"UPDATE work_sessions SET message_count = message_count + {rows.Count}, updated_at = {now} WHERE id = {sessionId}", ct);
        return new AppendResult(rows.Count, alreadyKnown, newContents, newBytes, ids);
    }

    /// <summary>
    /// The content id of every hash in the batch, storing those the organization lacks (on PostgreSQL with their search
    /// vectors, which carry <paramref name="lexemes"/>); answers the ids this call stored and their bytes.
    /// </summary>
    private async Task<(Dictionary<string, long> Ids, HashSet<long> Stored, long NewBytes)> StoreContentsAsync(
        Guid tenantId, List<string> lexemes, IEnumerable<PreparedMessage> messages, CancellationToken ct)
    {
        var byHash = new Dictionary<string, PreparedMessage>(StringComparer.Ordinal);
        foreach (var m in messages)
        {
            byHash.TryAdd(m.Hash, m);
        }

        var ids = new Dictionary<string, long>(StringComparer.Ordinal);
        await ReadContentIdsAsync(byHash.Keys.ToList(), ids, ct);
        var missing = byHash.Values.Where(m => !ids.ContainsKey(m.Hash)).ToList();
        if (missing.Count == 0)
        {
            return (ids, [], 0);
        }

        if (await quotas.EnsureRoomAsync(Billing.Quota.MessageBytes, missing.Sum(m => (long)m.Bytes), ct) is { } full)
        {
            throw new MessageQuotaExceededException(full);
        }

        var now = db.UtcNow;
        var inserted = new List<PreparedMessage>();
        if (db.Database.IsNpgsql())
        {
            // In hash order: parallel batches that share new contents take the unique index's locks in one order, so
            // one waits for the other instead of both deadlocking (40P01, answered 503; seen in bench/messages.sh).
            missing.Sort((a, b) => string.CompareOrdinal(a.Hash, b.Hash));
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            // The search vector goes to message_search (migration 0024), for the contents this statement stored only, with the
            // organization's lexeme (migration 0025) and the project's (0026).
            await using var command = new NpgsqlCommand("""
                WITH stored AS (
                    INSERT INTO message_contents (tenant_id, hash, blocks, bytes, created_at)
                    SELECT @tenant, u.hash, u.blocks, u.bytes, @now
                    FROM unnest(@hashes, @blocks, @bytes) AS u(hash, blocks, bytes)
                    ON CONFLICT (tenant_id, hash) DO NOTHING
                    RETURNING id, hash),
                indexed AS (
                    INSERT INTO message_search (content_id, search)
                    SELECT s.id, setweight(to_tsvector('simple', u.body), 'A') || setweight(to_tsvector('simple', u.thinking), 'B')
                                 || setweight(to_tsvector('simple', u.tools), 'C') || array_to_tsvector(@lexemes)
                    FROM stored s JOIN unnest(@hashes, @bodies, @thinkings, @tools) AS u(hash, body, thinking, tools) ON u.hash = s.hash)
                SELECT id, hash FROM stored
                """, connection, (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction());
            command.Parameters.Add(new NpgsqlParameter<Guid>("tenant", tenantId));
            command.Parameters.Add(new NpgsqlParameter<string[]>("lexemes", [.. lexemes]));
            command.Parameters.Add(new NpgsqlParameter<DateTime>("now", now));
            command.Parameters.Add(new NpgsqlParameter<string[]>("hashes", [.. missing.Select(m => m.Hash)]));
            command.Parameters.Add(new NpgsqlParameter<string[]>("blocks", [.. missing.Select(m => m.Canonical)]));
            command.Parameters.Add(new NpgsqlParameter<int[]>("bytes", [.. missing.Select(m => m.Bytes)]));
            var search = missing.Select(m => m.Search()).ToList();
            command.Parameters.Add(new NpgsqlParameter<string[]>("bodies", [.. search.Select(f => f.Body)]));
            command.Parameters.Add(new NpgsqlParameter<string[]>("thinkings", [.. search.Select(f => f.Thinking)]));
            command.Parameters.Add(new NpgsqlParameter<string[]>("tools", [.. search.Select(f => f.Tools)]));
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    var hash = reader.GetString(1);
                    ids[hash] = reader.GetInt64(0);
                    inserted.Add(byHash[hash]);
                }
            }

            if (inserted.Count < missing.Count)
            {
                // Another transaction stored some of them first.
                await ReadContentIdsAsync([.. missing.Where(m => !ids.ContainsKey(m.Hash)).Select(m => m.Hash)], ids, ct);
            }
        }
        else
        {
            foreach (var m in missing)
            {
                var id = (await db.Database.SqlQuery<long>($"""
                    INSERT INTO message_contents (tenant_id, hash, blocks, bytes, created_at) VALUES ({tenantId}, {m.Hash}, {m.Canonical}, {m.Bytes}, {now})
                    RETURNING id AS "Value"
                    """).ToListAsync(ct)).Single();
                var search = m.Search();
                await db.Database.ExecuteSqlAsync(
                    $"INSERT INTO message_search (rowid, body, thinking, tools) VALUES ({id}, {search.Body}, {search.Thinking}, {search.Tools})", ct);
                ids[m.Hash] = id;
                inserted.Add(m);
            }
        }

        return (ids, [.. inserted.Select(m => ids[m.Hash])], inserted.Sum(m => (long)m.Bytes));
    }

    /// <summary>
    /// Adds <paramref name="lexeme"/> to the search vectors of the contents that lack it (PostgreSQL): a content met again
    /// in another project. The rows are locked in id order, so parallel batches that share contents wait for each other
    /// instead of deadlocking. A vector keeps a project's lexeme after the content's last message there is gone; the
    /// search's own project filter still decides, the lexeme only narrows what the index returns.
    /// </summary>
    private async Task AddLexemeAsync(string lexeme, long[] contentIds, CancellationToken ct)
    {
        if (contentIds.Length == 0)
        {
            return;
        }

        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var command = new NpgsqlCommand("""
            WITH lacking AS (
                SELECT content_id FROM message_search
                WHERE content_id = ANY(@ids) AND NOT search @@ @lexeme_query::tsquery
                ORDER BY content_id FOR UPDATE)
            UPDATE message_search x SET search = x.search || array_to_tsvector(ARRAY[@lexeme])
            FROM lacking l WHERE x.content_id = l.content_id
            """, connection, (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction());
        command.Parameters.Add(new NpgsqlParameter<long[]>("ids", contentIds));
        command.Parameters.Add(new NpgsqlParameter<string>("lexeme", lexeme));
        command.Parameters.Add(new NpgsqlParameter<string>("lexeme_query", MessageSearch.LexemeQuery(lexeme)));
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task ReadContentIdsAsync(List<string> hashes, Dictionary<string, long> ids, CancellationToken ct)
    {
        foreach (var chunk in hashes.Chunk(500))
        {
            foreach (var row in await db.Set<MessageContent>().AsNoTracking().Where(c => chunk.Contains(c.Hash)).Select(c => new { c.Id, c.Hash }).ToListAsync(ct))
            {
                ids[row.Hash] = row.Id;
            }
        }
    }

    private async Task InsertMessagesPostgresAsync(List<Message> rows, CancellationToken ct)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var command = new NpgsqlCommand("""
            INSERT INTO messages (id, tenant_id, work_session_id, conversation_id, position, role, created_at, model, input_tokens, output_tokens,
                                  cache_read_tokens, cache_write_tokens, external_id, parent_id, content_id)
            SELECT u.id, @tenant, @session, @conversation, u.position, u.role, u.created_at, u.model, u.input_tokens, u.output_tokens,
                   u.cache_read_tokens, u.cache_write_tokens, u.external_id, u.parent_id, u.content_id
            FROM unnest(@ids, @positions, @roles, @created, @models, @inputs, @outputs, @reads, @writes, @externals, @parents, @contents)
                 AS u(id, position, role, created_at, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, external_id, parent_id, content_id)
            """, connection, (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction());
        command.Parameters.Add(new NpgsqlParameter<Guid>("tenant", rows[0].TenantId));
        command.Parameters.Add(new NpgsqlParameter<Guid>("session", rows[0].WorkSessionId));
        command.Parameters.Add(new NpgsqlParameter<Guid>("conversation", rows[0].ConversationId));
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. rows.Select(r => r.Id)]));
        command.Parameters.Add(new NpgsqlParameter<int[]>("positions", [.. rows.Select(r => r.Position)]));
        command.Parameters.Add(new NpgsqlParameter<string[]>("roles", [.. rows.Select(r => r.Role)]));
        command.Parameters.Add(new NpgsqlParameter<DateTime[]>("created", [.. rows.Select(r => r.CreatedAt)]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter("models", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { Value = rows.Select(r => (object?)r.Model ?? DBNull.Value).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]>("inputs", [.. rows.Select(r => r.InputTokens)]));
        command.Parameters.Add(new NpgsqlParameter<long[]>("outputs", [.. rows.Select(r => r.OutputTokens)]));
        command.Parameters.Add(new NpgsqlParameter<long[]>("reads", [.. rows.Select(r => r.CacheReadTokens)]));
        command.Parameters.Add(new NpgsqlParameter<long[]>("writes", [.. rows.Select(r => r.CacheWriteTokens)]));
        command.Parameters.Add(new NpgsqlParameter("externals", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { Value = rows.Select(r => (object?)r.ExternalId ?? DBNull.Value).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("parents", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = rows.Select(r => r.ParentId is { } p ? (object)p : DBNull.Value).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]>("contents", [.. rows.Select(r => r.ContentId)]));
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task InsertMessagesSqliteAsync(List<Message> rows, CancellationToken ct)
    {
        foreach (var r in rows)
        {
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO messages (id, tenant_id, work_session_id, conversation_id, position, role, created_at, model, input_tokens, output_tokens,
                                      cache_read_tokens, cache_write_tokens, external_id, parent_id, content_id)
                VALUES ({r.Id}, {r.TenantId}, {r.WorkSessionId}, {r.ConversationId}, {r.Position}, {r.Role}, {r.CreatedAt}, {r.Model}, {r.InputTokens},
                        {r.OutputTokens}, {r.CacheReadTokens}, {r.CacheWriteTokens}, {r.ExternalId}, {r.ParentId}, {r.ContentId})
                """, ct);
        }
    }

    /// <summary>A work session's timeline: its conversations and a page of messages by conversation then position; null when not visible.</summary>
    public async Task<TimelineResponse?> TimelineAsync(Guid sessionId, Guid? conversationId, int pageSize, string? cursor, CancellationToken ct)
    {
        var session = await db.Set<WorkSession>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == sessionId, ct);
        if (session is null)
        {
            return null;
        }

        var conversations = await db.Set<Conversation>().AsNoTracking().Where(c => c.WorkSessionId == sessionId)
            .OrderBy(c => c.CreatedAt).ThenBy(c => c.Id).ToListAsync(ct);
        // The main thread first, then side threads in the order they began; messages by position within each.
        var order = conversations.OrderBy(c => c.ParentId is null ? 0 : 1).ThenBy(c => c.CreatedAt).Select(c => c.Id).ToList();
        var (startConversation, afterPosition) = TimelineCursor.Decode(cursor);
        var index = startConversation is { } start ? Math.Max(0, order.IndexOf(start)) : 0;
        if (conversationId is { } only)
        {
            order = [.. order.Where(id => id == only)];
            index = 0;
        }

        var items = new List<(Message Message, MessageContent Content)>();
        string? next = null;
        for (; index < order.Count; index++)
        {
            var id = order[index];
            var from = id == startConversation ? afterPosition : -1;
            var room = pageSize - items.Count;
            var page = await db.Set<Message>().AsNoTracking().Where(m => m.ConversationId == id && m.Position > from)
                .Join(db.Set<MessageContent>(), m => m.ContentId, c => c.Id, (m, c) => new { m, c })
                .OrderBy(x => x.m.Position).Take(room + 1).ToListAsync(ct);
            items.AddRange(page.Take(room).Select(x => (x.m, x.c)));
            if (page.Count > room || (items.Count == pageSize && index + 1 < order.Count))
            {
                next = items.Count > 0 ? TimelineCursor.Encode(items[^1].Message.ConversationId, items[^1].Message.Position) : null;
                break;
            }
        }

        return new TimelineResponse(session.ToResponse(), [.. conversations.Select(c => c.ToResponse())],
            [.. items.Select(x => x.Message.ToResponse(x.Content))], pageSize, next);
    }

    /// <summary>Where a content appears, by hash: null when no message of the organization has it.</summary>
    public async Task<ContentUsageResponse?> UsageAsync(string hash, int pageSize, string? cursor, CancellationToken ct)
    {
        var content = await db.Set<MessageContent>().AsNoTracking().FirstOrDefaultAsync(c => c.Hash == hash, ct);
        if (content is null)
        {
            return null;
        }

        var messages = db.Set<Message>().AsNoTracking().Where(m => m.ContentId == content.Id);
        var total = await messages.LongCountAsync(ct);
        if (TimelineCursor.Decode(cursor).Conversation is { } after)
        {
            messages = messages.Where(m => m.Id.CompareTo(after) > 0);
        }

        var rows = await messages.OrderBy(m => m.Id).Take(pageSize + 1).ToListAsync(ct);
        string? next = null;
        if (rows.Count > pageSize)
        {
            rows.RemoveAt(pageSize);
            next = TimelineCursor.Encode(rows[^1].Id, 0);
        }

        return new ContentUsageResponse(content.Hash, content.Bytes, total,
            [.. rows.Select(m => new ContentAppearance(m.Id, m.WorkSessionId, m.ConversationId, m.Position, m.Role, m.CreatedAt))], pageSize, next);
    }
}

/// <summary>The timeline's cursor: the conversation and the last position shown (opaque base64url).</summary>
internal static class TimelineCursor
{
    public static string Encode(Guid conversation, int position) =>
        System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes($"{conversation:N}:{position}"));

    public static (Guid? Conversation, int Position) Decode(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return (null, -1);
        }

        try
        {
            var text = System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(cursor));
            var parts = text.Split(':');
            return parts.Length == 2 && Guid.TryParse(parts[0], out var id) && int.TryParse(parts[1], out var position) ? (id, position) : (null, -1);
        }
        catch (FormatException)
        {
            return (null, -1);
        }
    }

    public static bool IsValid(string? cursor) => string.IsNullOrEmpty(cursor) || Decode(cursor).Conversation is not null;
}

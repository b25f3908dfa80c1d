using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Data;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.DevContext.WorkSessions;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.DevContext.Import;

/// <summary>What to import: the format, and for the work sessions made, a project; for <c>chat</c>, an external id and title.</summary>
public sealed record ImportOptions(string Format, Guid? ProjectId, string? ExternalId, string? Title);

/// <summary>
/// Imports one file as it streams in (scoped; the request's one transaction): a Claude Code transcript
/// (<c>claude-code</c>), our own export (<c>coditect</c>) or a chat array (<c>chat</c>). Lines are read one at a time
/// and messages stored in batches of <see cref="MessageLog.MaxBatch"/> per conversation, so memory is bounded by the
/// longest line plus one batch, whatever the file's size. Idempotent: work sessions are found by external id (the
/// tool's session id), conversations and messages by theirs, so importing a file again (or a grown one) adds only
/// what is new. A malformed line is reported with its number and skipped; lines of kinds the importer does not take
/// are counted; NUL and unpaired surrogates are replaced with U+FFFD and counted.
/// </summary>
public sealed partial class TranscriptImport(CoditectDbContext db, TenantContext tenant, WorkSessionAdmin admin, MessageLog log)
{
    public static readonly string[] Formats = [.. ImportFormats.All];

    /// <summary>The import route's body limit: a transcript of hundreds of megabytes streams through.</summary>
    public const long BodyLimit = 1024L * 1024 * 1024;

    public const int MaxReportedErrors = 100;

    private CoditectDbContext Db => db;
    private TenantContext Tenant => tenant;
    private WorkSessionAdmin Admin => admin;
    private MessageLog Log => log;

    public async Task<Outcome<TranscriptImportResponse>> ImportAsync(Stream body, ImportOptions options, CancellationToken ct)
    {
        if (options.ProjectId is { } project && !await db.Set<Project>().AnyAsync(p => p.Id == project, ct))
        {
            return Answers.ProjectNotFound();
        }

        var run = new Run(this, options);
        try
        {
            var reading = options.Format switch
            {
                ImportFormats.ClaudeCode => run.ClaudeCodeAsync(body, ct),
                ImportFormats.Coditect => run.ExportAsync(body, ct),
                _ => run.ChatAsync(body, ct),
            };
            await reading;
            await run.FinishAsync(ct);
        }
        catch (MessageQuotaExceededException e)
        {
            // What earlier batches stored stays (an import is resumable): importing again after an upgrade goes on.
            return e.Refusal;
        }

        return run.Response();
    }

    /// <summary>
    /// Replaces NUL and unpaired surrogates with U+FFFD in a JSON line's escapes (<c>\u0000</c>, <c>\ud800</c> alone)
    /// and text, counting them; the JSON reader refuses such strings otherwise.
    /// </summary>
    public static string Sanitize(string line, ref long replaced)
    {
        if (line.Contains("\\u", StringComparison.Ordinal))
        {
            var count = 0;
            line = BadEscape().Replace(line, m =>
            {
                count++;
                return m.Groups[1].Value + "\\ufffd";
            });
            replaced += count;
        }

        if (WireText.Problem(line, longText: true) is not null)
        {
            var text = new StringBuilder(line.Length);
            for (var i = 0; i < line.Length; i++)
            {
                var c = line[i];
                if (char.IsHighSurrogate(c) && i + 1 < line.Length && char.IsLowSurrogate(line[i + 1]))
                {
                    text.Append(c).Append(line[++i]);
                }
                else if (c == '\0' || char.IsSurrogate(c))
                {
                    text.Append('\uFFFD');
                    replaced++;
                }
                else
                {
                    text.Append(c);
                }
            }

            line = text.ToString();
        }

        return line;
    }

    // An escape preceded by an even number of backslashes: \u0000, a high surrogate not followed by a low one, or a low one alone.
    [GeneratedRegex(@"((?:^|[^\\])(?:\\\\)*)(?:\\u0000|\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2})")]
    private static partial Regex BadEscape();

    /// <summary>One import's state: the sessions and conversations it resolved, buffers per conversation, counts.</summary>
    private sealed class Run(TranscriptImport owner, ImportOptions options)
    {
        private readonly List<Guid> _sessions = [];
        private readonly List<ImportLineError> _errors = [];
        private readonly Dictionary<Guid, (Guid Session, List<PreparedMessage> Messages)> _buffers = [];
        private readonly Dictionary<Guid, ImportedSession> _touched = [];
        private long _lines, _messages, _known, _conversations, _newContents, _unknown, _replaced, _errorCount;

        private CoditectDbContext Db => owner.Db;

        public TranscriptImportResponse Response() => new(_sessions, _lines, _messages, _known, _conversations, _newContents, _unknown, _replaced, _errors);

        private void Error(long line, string message)
        {
            _errorCount++;
            if (_errors.Count < MaxReportedErrors)
            {
                _errors.Add(new ImportLineError(line, message.Length > 300 ? message[..300] : message));
            }
        }

        private async IAsyncEnumerable<(long Number, JsonElement Line)> LinesAsync(Stream body, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            using var reader = new StreamReader(body, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
            string? text;
            while ((text = await reader.ReadLineAsync(ct)) is not null)
            {
                _lines++;
                if (string.IsNullOrWhiteSpace(text))
                {
                    continue;
                }

                JsonDocument document;
                try
                {
                    document = JsonDocument.Parse(Sanitize(text, ref _replaced));
                }
                catch (JsonException e)
                {
                    Error(_lines, "not JSON: " + e.Message);
                    continue;
                }

                using (document)
                {
                    if (document.RootElement.ValueKind != JsonValueKind.Object)
                    {
                        Error(_lines, "not a JSON object.");
                        continue;
                    }

                    yield return (_lines, document.RootElement);
                }
            }
        }

        // ---- Claude Code -------------------------------------------------------------------------------------------

        private ImportedSession? _claude;
        private readonly Dictionary<string, Guid> _sideThreadOf = new(StringComparer.Ordinal);
        private string? _lastAssistantMessageId;

        public async Task ClaudeCodeAsync(Stream body, CancellationToken ct)
        {
            string? summary = null;
            await foreach (var (number, line) in LinesAsync(body, ct))
            {
                var type = Text(line, "type");
                if (type == "summary")
                {
                    summary = Text(line, "summary") ?? summary;
                    if (_claude is not null && summary is not null)
                    {
                        _claude.Summary = summary;
                    }

                    continue;
                }

                if (type is not ("user" or "assistant"))
                {
                    _unknown++;
                    continue;
                }

                try
                {
                    await ClaudeLineAsync(number, line, type, summary, ct);
                }
                catch (Exception e) when (e is InvalidOperationException or FormatException or KeyNotFoundException)
                {
                    Error(number, e.Message);
                }
            }
        }

        private async Task ClaudeLineAsync(long number, JsonElement line, string type, string? summary, CancellationToken ct)
        {
            if (!line.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
            {
                Error(number, "a user or assistant line without a message object.");
                return;
            }

            var at = Time(line, "timestamp") ?? Db.UtcNow;
            if (_claude is null)
            {
                var sessionId = Text(line, "sessionId") ?? options.ExternalId;
                if (sessionId is null)
                {
                    Error(number, "no sessionId: the work session cannot be named.");
                    return;
                }

                _claude = await SessionAsync(WorkTools.ClaudeCode, Clip(sessionId, 200) ?? sessionId, at, Clip(Text(line, "cwd"), 1000), Clip(NonEmpty(Text(line, "gitBranch")), 255),
                    null, options.Title ?? Clip(summary, 500), ct);
                _claude.Summary = summary;
            }

            _claude.See(at);
            var blocks = ClaudeBlocks(message);
            if (blocks.Count == 0)
            {
                _unknown++;
                return;
            }

            var role = type == "assistant" ? MessageRoles.Assistant : blocks.All(b => b.Type == BlockTypes.ToolResult) ? MessageRoles.Tool : MessageRoles.User;
            var model = Clip(Text(message, "model"), 200);
            TokenUsage? usage = null;
            if (type == "assistant")
            {
                _claude.Model ??= model is "<synthetic>" ? null : model;
                // One API message is written as several lines (one per content block), each repeating its usage: count it once.
                var messageId = Text(message, "id");
                if (messageId is null || messageId != _lastAssistantMessageId)
                {
                    usage = Usage(message);
                }

                _lastAssistantMessageId = messageId;
            }
            else if (_claude.FirstUserText is null && role == MessageRoles.User)
            {
                _claude.FirstUserText = blocks.FirstOrDefault(b => b.Type == BlockTypes.Text)?.Text;
            }

            var uuid = Clip(Text(line, "uuid"), 200);
            var parent = Clip(Text(line, "parentUuid"), 200);
            var conversation = _claude.Main;
            if (line.TryGetProperty("isSidechain", out var side) && side.ValueKind == JsonValueKind.True)
            {
                conversation = await SideThreadAsync(_claude, Text(line, "agentId"), uuid, parent, at, ct);
            }

            await AddAsync(_claude, conversation, PreparedMessage.Of(role, blocks, at, model, usage, uuid, null, parent), ct);
        }

        /// <summary>A side thread continues its parent line's thread; a sidechain line whose parent is not in one starts a new one.</summary>
        private async Task<Guid> SideThreadAsync(ImportedSession session, string? agentId, string? uuid, string? parent, DateTime at, CancellationToken ct)
        {
            if (parent is not null && _sideThreadOf.TryGetValue(parent, out var thread))
            {
                if (uuid is not null)
                {
                    _sideThreadOf[uuid] = thread;
                }

                return thread;
            }

            var external = agentId is not null ? "agent-" + Clip(agentId, 190) : "side-" + (uuid ?? Guid.NewGuid().ToString("N"));
            thread = await ConversationAsync(session, external, session.Main, null, null, at, ct);
            if (uuid is not null)
            {
                _sideThreadOf[uuid] = thread;
            }

            return thread;
        }

        private static List<Block> ClaudeBlocks(JsonElement message)
        {
            var blocks = new List<Block>();
            if (!message.TryGetProperty("content", out var content))
            {
                return blocks;
            }

            if (content.ValueKind == JsonValueKind.String)
            {
                blocks.Add(new Block(BlockTypes.Text, Text: content.GetString()!));
                return blocks;
            }

            if (content.ValueKind != JsonValueKind.Array)
            {
                return blocks;
            }

            foreach (var b in content.EnumerateArray())
            {
                var block = ReadBlock(b);
                if (block is not null)
                {
                    blocks.Add(block);
                }
            }

            return blocks;
        }

        /// <summary>An Anthropic-style content block (also OpenAI's <c>{type: "text"}</c> parts); null for kinds not kept (images).</summary>
        private static Block? ReadBlock(JsonElement b)
        {
            if (b.ValueKind == JsonValueKind.String)
            {
                return new Block(BlockTypes.Text, Text: b.GetString()!);
            }

            if (b.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return Text(b, "type") switch
            {
                "text" or "input_text" or "output_text" => new Block(BlockTypes.Text, Text: Text(b, "text") ?? ""),
                "thinking" => new Block(BlockTypes.Thinking, Text: Text(b, "thinking") ?? Text(b, "text") ?? ""),
                "tool_use" => new Block(BlockTypes.ToolUse, Name: Clip(Text(b, "name"), 200) ?? "tool",
                    Input: b.TryGetProperty("input", out var input) ? input.Clone() : JsonDocument.Parse("{}").RootElement.Clone()),
                "tool_result" => new Block(BlockTypes.ToolResult, Content: ResultText(b), IsError: b.TryGetProperty("is_error", out var error) && error.ValueKind == JsonValueKind.True),
                _ => null,
            };
        }

        private static string ResultText(JsonElement b)
        {
            if (!b.TryGetProperty("content", out var content))
            {
                return "";
            }

            if (content.ValueKind == JsonValueKind.String)
            {
                return content.GetString()!;
            }

            if (content.ValueKind != JsonValueKind.Array)
            {
                return content.ValueKind == JsonValueKind.Null ? "" : content.GetRawText();
            }

            var parts = new List<string>();
            foreach (var part in content.EnumerateArray())
            {
                parts.Add(part.ValueKind == JsonValueKind.String ? part.GetString()! : Text(part, "type") == "text" ? Text(part, "text") ?? "" : "[" + (Text(part, "type") ?? "block") + "]");
            }

            return string.Join("\n", parts);
        }

        private static TokenUsage? Usage(JsonElement message)
        {
            if (!message.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            static long Read(JsonElement usage, string name) =>
                usage.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n >= 0 ? n : 0;

            return new TokenUsage(Read(usage, "input_tokens"), Read(usage, "output_tokens"), Read(usage, "cache_read_input_tokens"), Read(usage, "cache_creation_input_tokens"));
        }

        // ---- Our export --------------------------------------------------------------------------------------------

        public async Task ExportAsync(Stream body, CancellationToken ct)
        {
            ImportedSession? session = null;
            var conversations = new Dictionary<string, Guid>(StringComparer.Ordinal);
            var messageExternal = new Dictionary<string, string>(StringComparer.Ordinal);
            await foreach (var (number, line) in LinesAsync(body, ct))
            {
                try
                {
                    switch (Text(line, "type"))
                    {
                        case "work_session":
                            var tool = Text(line, "tool");
                            if (!WorkSessionAdmin.Tools.Contains(tool))
                            {
                                Error(number, "a work_session line needs a known tool.");
                                session = null;
                                break;
                            }

                            var external = Clip(Text(line, "external_id") ?? Text(line, "id"), 200);
                            if (external is null)
                            {
                                Error(number, "a work_session line needs an id or external_id.");
                                session = null;
                                break;
                            }

                            var project = options.ProjectId;
                            if (project is null && Text(line, "project") is { } slug)
                            {
                                project = await Db.Set<Project>().Where(p => p.Slug == slug).Select(p => (Guid?)p.Id).FirstOrDefaultAsync(ct);
                            }

                            var tags = line.TryGetProperty("tags", out var t) && t.ValueKind == JsonValueKind.Array
                                ? t.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList() : [];
                            session = await SessionAsync(tool!, external!, Time(line, "started_at") ?? Db.UtcNow, Clip(Text(line, "working_directory"), 1000),
                                Clip(Text(line, "branch"), 255), Clip(Text(line, "model"), 200), Clip(Text(line, "title"), 500), ct, project, tags);
                            session.EndedAt = Time(line, "ended_at");
                            session.EndFromFile = true;
                            conversations.Clear();
                            messageExternal.Clear();
                            break;
                        case "conversation" when session is not null:
                            var id = Text(line, "id") ?? "";
                            var parent = Text(line, "parent_id") is { } p && conversations.TryGetValue(p, out var parentId) ? parentId : (Guid?)null;
                            var conversationExternal = Clip(Text(line, "external_id") ?? id, 200)!;
                            conversations[id] = conversationExternal == WorkSessionAdmin.MainConversation
                                ? session.Main
                                : await ConversationAsync(session, conversationExternal, parent, Clip(Text(line, "title"), 500), Text(line, "summary"), session.StartedAt, ct);
                            break;
                        case "message" when session is not null:
                            await ExportMessageAsync(number, line, session, conversations, messageExternal, ct);
                            break;
                        case "work_session" or "conversation" or "message":
                            Error(number, "comes before any work_session line.");
                            break;
                        default:
                            _unknown++;
                            break;
                    }
                }
                catch (Exception e) when (e is InvalidOperationException or FormatException or KeyNotFoundException)
                {
                    Error(number, e.Message);
                }
            }
        }

        private async Task ExportMessageAsync(long number, JsonElement line, ImportedSession session, Dictionary<string, Guid> conversations,
            Dictionary<string, string> messageExternal, CancellationToken ct)
        {
            if (Text(line, "conversation_id") is not { } conversationId || !conversations.TryGetValue(conversationId, out var conversation))
            {
                Error(number, "a message line names no conversation of its work session.");
                return;
            }

            var role = Text(line, "role");
            if (!MessageLog.Roles.Contains(role))
            {
                Error(number, $"role must be one of {string.Join(", ", MessageLog.Roles)}.");
                return;
            }

            if (!line.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Object
                || !content.TryGetProperty("blocks", out var wire) || wire.ValueKind != JsonValueKind.Array)
            {
                Error(number, "a message line needs content.blocks.");
                return;
            }

            var blocks = wire.EnumerateArray().Select(ReadBlock).Where(b => b is not null).Select(b => b!).ToList();
            var at = Time(line, "created_at") ?? Db.UtcNow;
            var usage = line.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object
                ? new TokenUsage(Long(u, "input_tokens"), Long(u, "output_tokens"), Long(u, "cache_read_tokens"), Long(u, "cache_write_tokens")) : null;
            var id = Text(line, "id") ?? Guid.NewGuid().ToString();
            var external = Clip(Text(line, "external_id") ?? id, 200)!;
            messageExternal[id] = external;
            var parent = Text(line, "parent_id") is { } p ? messageExternal.GetValueOrDefault(p) : null;
            var prepared = PreparedMessage.Of(role!, blocks, at, Clip(Text(line, "model"), 200), usage, external, null, parent);
            if (Text(line, "hash") is { } hash && hash != prepared.Hash)
            {
                Error(number, $"the content's hash is {prepared.Hash}, not {hash}: imported with the hash of its content.");
            }

            session.See(at);
            await AddAsync(session, conversation, prepared, ct);
        }

        private static long Long(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n >= 0 ? n : 0;

        // ---- Chat array --------------------------------------------------------------------------------------------

        public async Task ChatAsync(Stream body, CancellationToken ct)
        {
            var now = Db.UtcNow;
            var session = await SessionAsync(WorkTools.Other, options.ExternalId ?? "chat-" + Guid.NewGuid().ToString("N"), now, null, null, null, options.Title, ct);
            long index = 0;
            string? previous = null;
            try
            {
                await foreach (var item in JsonSerializer.DeserializeAsyncEnumerable<JsonElement>(body, cancellationToken: ct))
                {
                    index++;
                    _lines++;
                    if (item.ValueKind != JsonValueKind.Object)
                    {
                        Error(index, "not a {role, content} object.");
                        continue;
                    }

                    var role = Text(item, "role") switch
                    {
                        "developer" => MessageRoles.System,
                        "human" => MessageRoles.User,
                        "ai" or "model" => MessageRoles.Assistant,
                        var r => r,
                    };
                    if (!MessageLog.Roles.Contains(role))
                    {
                        Error(index, $"role must be one of {string.Join(", ", MessageLog.Roles)}.");
                        continue;
                    }

                    var blocks = item.TryGetProperty("content", out var content) ? ChatBlocks(content) : [];
                    if (blocks.Count == 0)
                    {
                        Error(index, "no content.");
                        continue;
                    }

                    var replaced = 0L;
                    blocks = [.. blocks.Select(b => Clean(b, ref replaced))];
                    _replaced += replaced;
                    var external = index.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    session.FirstUserText ??= role == MessageRoles.User ? blocks.FirstOrDefault(b => b.Type == BlockTypes.Text)?.Text : null;
                    await AddAsync(session, session.Main, PreparedMessage.Of(role!, blocks, Time(item, "created_at") ?? now, Clip(Text(item, "model"), 200), null, external, null, previous), ct);
                    previous = external;
                }
            }
            catch (JsonException e)
            {
                Error(index + 1, "not a JSON array of {role, content} objects: " + e.Message);
            }
        }

        private static List<Block> ChatBlocks(JsonElement content) => content.ValueKind switch
        {
            JsonValueKind.String => [new Block(BlockTypes.Text, Text: content.GetString()!)],
            JsonValueKind.Array => [.. content.EnumerateArray().Select(ReadBlock).Where(b => b is not null).Select(b => b!)],
            _ => [],
        };

        /// <summary>A chat array is not read line by line, so its text is cleaned block by block.</summary>
        private static Block Clean(Block b, ref long replaced) => b with
        {
            Text = b.Text is null ? null : Sanitize(b.Text, ref replaced),
            Content = b.Content is null ? null : Sanitize(b.Content, ref replaced),
        };

        // ---- Shared ------------------------------------------------------------------------------------------------

        private async Task<ImportedSession> SessionAsync(string tool, string externalId, DateTime startedAt, string? workingDirectory, string? branch,
            string? model, string? title, CancellationToken ct, Guid? projectId = null, List<string>? tags = null)
        {
            var existing = await Db.Set<WorkSession>().AsNoTracking().FirstOrDefaultAsync(s => s.Tool == tool && s.ExternalId == externalId, ct);
            Guid id;
            if (existing is not null)
            {
                id = existing.Id;
            }
            else
            {
                var errors = new Validator();
                var session = owner.Admin.Validate(errors, new CreateWorkSessionRequest(tool, projectId ?? options.ProjectId, null, branch, model, workingDirectory,
                    title, startedAt, null, tags, externalId));
                if (!errors.IsValid)
                {
                    // Imported metadata that breaks a short-field rule is dropped rather than refusing the transcript.
                    session = owner.Admin.Validate(new Validator(), new CreateWorkSessionRequest(tool, projectId ?? options.ProjectId, null, null, null, null, null,
                        startedAt, null, null, externalId));
                }

                await owner.Admin.AddAsync(session, ct);
                id = session.Id;
                _sessions.Add(id);
            }

            if (!_sessions.Contains(id))
            {
                _sessions.Add(id);
            }

            var main = await Db.Set<Conversation>().AsNoTracking()
                .FirstOrDefaultAsync(c => c.WorkSessionId == id && c.ExternalId == WorkSessionAdmin.MainConversation, ct)
                ?? await owner.Log.MainConversationAsync(await Db.Set<WorkSession>().AsNoTracking().FirstAsync(s => s.Id == id, ct), ct);
            var imported = new ImportedSession(id, main.Id, startedAt) { Existing = existing, Model = existing?.Model ?? model, Title = existing?.Title ?? title };
            _touched[id] = imported;
            return imported;
        }

        private async Task<Guid> ConversationAsync(ImportedSession session, string externalId, Guid? parentId, string? title, string? summary, DateTime at, CancellationToken ct)
        {
            var existing = await Db.Set<Conversation>().AsNoTracking().Where(c => c.WorkSessionId == session.Id && c.ExternalId == externalId)
                .Select(c => (Guid?)c.Id).FirstOrDefaultAsync(ct);
            if (existing is { } id)
            {
                return id;
            }

            var conversation = new Conversation
            {
                TenantId = owner.Tenant.TenantId!.Value,
                WorkSessionId = session.Id,
                ParentId = parentId,
                ExternalId = externalId,
                Title = title,
                Summary = summary,
            };
            Db.Add(conversation);
            await Db.SaveChangesAsync(ct);
            Db.Entry(conversation).State = EntityState.Detached;
            _conversations++;
            return conversation.Id;
        }

        private async Task AddAsync(ImportedSession session, Guid conversation, PreparedMessage message, CancellationToken ct)
        {
            if (!_buffers.TryGetValue(conversation, out var buffer))
            {
                buffer = (session.Id, []);
                _buffers[conversation] = buffer;
            }

            buffer.Messages.Add(message);
            if (buffer.Messages.Count >= MessageLog.MaxBatch)
            {
                await FlushAsync(conversation, ct);
            }
        }

        private async Task FlushAsync(Guid conversation, CancellationToken ct)
        {
            var (session, messages) = _buffers[conversation];
            if (messages.Count == 0)
            {
                return;
            }

            var result = await owner.Log.AppendPreparedAsync(session, conversation, messages, ct);
            _messages += result.Inserted;
            _known += result.AlreadyKnown;
            _newContents += result.NewContents;
            messages.Clear();
        }

        public async Task FinishAsync(CancellationToken ct)
        {
            foreach (var conversation in _buffers.Keys.ToList())
            {
                await FlushAsync(conversation, ct);
            }

            var now = Db.UtcNow;
            foreach (var s in _touched.Values)
            {
                var title = s.Title ?? Clip(s.Summary, 500) ?? Clip(FirstLine(s.FirstUserText), 200);
                var ended = s.EndFromFile ? s.EndedAt : s.EndedAt ?? s.LastAt;
                await Db.Database.ExecuteSqlAsync($"""
                    UPDATE work_sessions SET model = COALESCE(model, {s.Model}), title = COALESCE(title, {title}), updated_at = {now}
                    WHERE id = {s.Id}
                    """, ct);
                if (ended is { } end)
                {
                    await Db.Database.ExecuteSqlAsync(
                        $"UPDATE work_sessions SET ended_at = {end} WHERE id = {s.Id} AND (ended_at IS NULL OR ended_at < {end}) AND started_at <= {end}", ct);
                }

                if (s.Summary is not null)
                {
                    await Db.Database.ExecuteSqlAsync($"UPDATE conversations SET summary = {s.Summary}, title = COALESCE(title, {title}), title_search = COALESCE(title_search, {(title is null ? null : Search.SearchText.Normalize(title))}) WHERE id = {s.Main}", ct);
                }
            }

            if (_sessions.Count > 0)
            {
                await Db.RaiseAsync(DevContextEvents.WorkSessionImported, new
                {
                    id = _sessions[0],
                    work_session_ids = _sessions,
                    format = options.Format,
                    messages = _messages,
                    already_known = _known,
                    new_contents = _newContents,
                    errors = _errorCount,
                }, ct);
            }
        }

        private static string? FirstLine(string? text) => text?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();

        private static string? Text(JsonElement e, string name) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

        /// <summary>A short field from a file: control characters become spaces, trimmed, at most <paramref name="max"/> characters.</summary>
        private static string? Clip(string? text, int max)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                return null;
            }

            var clean = new string([.. text.Select(c => char.IsControl(c) || char.IsSurrogate(c) ? ' ' : c)]).Trim();
            return clean.Length == 0 ? null : clean.Length > max ? clean[..max] : clean;
        }

        private static DateTime? Time(JsonElement e, string name) =>
            Text(e, name) is { } text && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var time) ? time.UtcDateTime : null;
    }

    /// <summary>A work session an import touched, and what it learned about it on the way.</summary>
    private sealed class ImportedSession(Guid id, Guid main, DateTime startedAt)
    {
        public Guid Id { get; } = id;
        public Guid Main { get; } = main;
        public DateTime StartedAt { get; } = startedAt;
        public WorkSession? Existing { get; init; }
        public string? Model { get; set; }
        public string? Title { get; init; }
        public string? Summary { get; set; }
        public string? FirstUserText { get; set; }
        public DateTime? EndedAt { get; set; }

        /// <summary>An export states its end (or that there is none): the messages' times do not change it.</summary>
        public bool EndFromFile { get; set; }
        public DateTime? LastAt { get; private set; }

        public void See(DateTime at)
        {
            if (LastAt is null || at > LastAt)
            {
                LastAt = at;
            }
        }
    }
}

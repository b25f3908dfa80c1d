using System.Text.Json;

namespace Coditect.Contracts.DevContext;

/// <summary>The coding tools a work session records, on the wire.</summary>
public static class WorkTools
{
    public const string ClaudeCode = "claude-code";
    public const string Codex = "codex";
    public const string Cursor = "cursor";
    public const string Other = "other";
}

/// <summary>
/// The formats <c>POST /work-sessions/import?format=</c> reads, and the <c>format</c> its own export's
/// <c>work_session</c> lines carry (what tells an export from a transcript).
/// </summary>
public static class ImportFormats
{
    public const string ClaudeCode = "claude-code";
    public const string Coditect = "coditect";
    public const string Chat = "chat";
    public const string ExportFormatName = "coditect.work_sessions";

    public static readonly IReadOnlyList<string> All = [ClaudeCode, Coditect, Chat];
}

/// <summary>Message roles on the wire.</summary>
public static class MessageRoles
{
    public const string User = "user";
    public const string Assistant = "assistant";
    public const string System = "system";
    public const string Tool = "tool";
}

/// <summary>Content block types on the wire.</summary>
public static class BlockTypes
{
    public const string Text = "text";
    public const string Thinking = "thinking";
    public const string ToolUse = "tool_use";
    public const string ToolResult = "tool_result";
}

/// <summary>
/// A work session: the AI-assisted work of one organization member with one tool. <c>ExternalId</c> is the tool's own
/// session id, unique per organization and tool (a re-import finds the session by it).
/// </summary>
public sealed record CreateWorkSessionRequest(
    string? Tool,
    Guid? ProjectId = null,
    Guid? RepositoryId = null,
    string? Branch = null,
    string? Model = null,
    string? WorkingDirectory = null,
    string? Title = null,
    DateTime? StartedAt = null,
    DateTime? EndedAt = null,
    IReadOnlyList<string>? Tags = null,
    string? ExternalId = null);

/// <summary>A work session; <c>DurationSeconds</c> is <c>ended_at - started_at</c> (null while it has no end).</summary>
public sealed record WorkSessionResponse(
    Guid Id,
    Guid? UserId,
    Guid? ProjectId,
    Guid? RepositoryId,
    string? Branch,
    string Tool,
    string? Model,
    string? WorkingDirectory,
    string? Title,
    DateTime StartedAt,
    DateTime? EndedAt,
    long? DurationSeconds,
    IReadOnlyList<string> Tags,
    string? ExternalId,
    long MessageCount,
    DateTime CreatedAt,
    DateTime UpdatedAt);

/// <summary>A conversation in a work session; <c>ParentId</c> makes it a side thread (a sub-agent's) of another.</summary>
public sealed record CreateConversationRequest(string? Title = null, string? Summary = null, Guid? ParentId = null, string? ExternalId = null);

public sealed record ConversationResponse(
    Guid Id,
    Guid WorkSessionId,
    Guid? ParentId,
    string? Title,
    string? Summary,
    string? ExternalId,
    int MessageCount,
    DateTime CreatedAt);

/// <summary>
/// One block of a message's content: <c>text</c> (<c>Text</c>), <c>thinking</c> (<c>Text</c>), <c>tool_use</c>
/// (<c>Name</c>, <c>Input</c>: any JSON) or <c>tool_result</c> (<c>Content</c>, <c>IsError</c>).
/// </summary>
public sealed record ContentBlock(string? Type, string? Text = null, string? Name = null, JsonElement? Input = null, string? Content = null, bool? IsError = null);

/// <summary>Token usage of one message.</summary>
public sealed record TokenUsage(long? InputTokens = null, long? OutputTokens = null, long? CacheReadTokens = null, long? CacheWriteTokens = null);

/// <summary>
/// A message to append. Its content is <c>Blocks</c>, or <c>Text</c> alone (one text block). <c>ExternalId</c> makes
/// the append idempotent within the conversation; <c>ParentExternalId</c> or <c>ParentId</c> names the message it answers.
/// </summary>
public sealed record MessageInput(
    string? Role,
    string? Text = null,
    IReadOnlyList<ContentBlock>? Blocks = null,
    DateTime? CreatedAt = null,
    string? Model = null,
    TokenUsage? Usage = null,
    string? ExternalId = null,
    Guid? ParentId = null,
    string? ParentExternalId = null);

/// <summary>Up to 1,000 messages, appended in order.</summary>
public sealed record MessageBatchRequest(IReadOnlyList<MessageInput>? Messages);

/// <summary>
/// What a batch did: <c>Inserted</c> new messages, <c>AlreadyKnown</c> ones whose external id the conversation had,
/// <c>NewContents</c> contents stored for the first time in the organization (the others were de-duplicated) and
/// their <c>NewBytes</c>; <c>Ids</c> the message ids in the batch's order.
/// </summary>
public sealed record MessageBatchResponse(int Received, int Inserted, int AlreadyKnown, int NewContents, long NewBytes, IReadOnlyList<Guid> Ids);

public sealed record MessageResponse(
    Guid Id,
    Guid WorkSessionId,
    Guid ConversationId,
    int Position,
    string Role,
    DateTime CreatedAt,
    string? Model,
    TokenUsage Usage,
    string? ExternalId,
    Guid? ParentId,
    string ContentHash,
    string Text,
    IReadOnlyList<ContentBlock> Blocks);

/// <summary>A work session with its conversations (side threads included) and a page of messages in timeline order.</summary>
public sealed record TimelineResponse(
    WorkSessionResponse WorkSession,
    IReadOnlyList<ConversationResponse> Conversations,
    IReadOnlyList<MessageResponse> Items,
    int PageSize,
    string? NextCursor);

/// <summary>Where one content appears: its hash, size, how many messages use it, and a page of those messages (without their content).</summary>
public sealed record ContentUsageResponse(string Hash, int Bytes, long Messages, IReadOnlyList<ContentAppearance> Items, int PageSize, string? NextCursor);

public sealed record ContentAppearance(Guid MessageId, Guid WorkSessionId, Guid ConversationId, int Position, string Role, DateTime CreatedAt);

/// <summary>Hashes a content the way the server does, for "where does this appear" without storing anything.</summary>
public sealed record HashContentRequest(string? Text = null, IReadOnlyList<ContentBlock>? Blocks = null);

public sealed record HashContentResponse(string Hash, int Bytes, string Canonical);

/// <summary>
/// One search hit: the message, where it is, its rank (higher is better) and a snippet with <c>&lt;mark&gt;</c> around
/// matches (HTML-escaped). <c>Kind</c> says what matched: <c>message</c> (the message's text) or <c>conversation</c>
/// (its conversation's title: the hit is the conversation's first message, and the snippet is the title).
/// </summary>
public sealed record SearchHit(
    Guid MessageId,
    Guid WorkSessionId,
    Guid ConversationId,
    Guid? ProjectId,
    string? ConversationTitle,
    int Position,
    string Role,
    string? Model,
    DateTime CreatedAt,
    double Rank,
    string Snippet,
    string Kind = SearchHitKinds.Message);

/// <summary>What a search hit matched.</summary>
public static class SearchHitKinds
{
    public const string Message = "message";
    public const string Conversation = "conversation";
}

public sealed record SearchResponse(IReadOnlyList<SearchHit> Items, int PageSize, string? NextCursor);

/// <summary>
/// What an import did. <c>Lines</c> read, <c>Messages</c> appended and <c>AlreadyKnown</c> skipped (a re-import adds
/// nothing), <c>UnknownLines</c> lines of a kind the importer does not take, <c>Replaced</c> NUL characters and
/// unpaired surrogates replaced with U+FFFD, and <c>Errors</c> malformed lines by number (the rest is imported).
/// </summary>
public sealed record TranscriptImportResponse(
    IReadOnlyList<Guid> WorkSessionIds,
    long Lines,
    long Messages,
    long AlreadyKnown,
    long Conversations,
    long NewContents,
    long UnknownLines,
    long Replaced,
    IReadOnlyList<ImportLineError> Errors);

public sealed record ImportLineError(long Line, string Message);

public sealed record ModelTokens(string Model, long Messages, long InputTokens, long OutputTokens, long CacheReadTokens, long CacheWriteTokens);

public sealed record DayCount(string Day, int WorkSessions);

public sealed record MemberActivity(Guid UserId, string? Name, long Messages, int WorkSessions);

/// <summary>
/// Work-session statistics of an organization or a project: <c>UniqueContents</c> and <c>Bytes</c> as stored,
/// <c>BytesSaved</c> by de-duplication (what the messages' contents would take without it, less what is stored).
/// <c>WorkSessionsPerDay</c>: the last 30 days by start, oldest first.
/// </summary>
public sealed record WorkSessionStatsResponse(
    Guid? ProjectId,
    int WorkSessions,
    long Conversations,
    long Messages,
    long UniqueContents,
    long Bytes,
    long BytesSaved,
    double? AverageDurationSeconds,
    IReadOnlyList<ModelTokens> TokensByModel,
    IReadOnlyList<DayCount> WorkSessionsPerDay,
    IReadOnlyList<MemberActivity> MostActiveMembers);

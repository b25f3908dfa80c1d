using Coditect.Server.Data;

namespace Coditect.Server.DevContext.WorkSessions;

/// <summary>
/// The AI-assisted work of one member with one tool ("session" is a lease; this is a work session).
/// <see cref="ExternalId"/> is the tool's own id, unique per organization and tool. <see cref="MessageCount"/> is kept
/// by the message log (SQL, not the change tracker).
/// </summary>
[Audited]
public sealed class WorkSession : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid? UserId { get; set; }
    public Guid? ProjectId { get; set; }
    public Guid? RepositoryId { get; set; }
    public string? Branch { get; set; }
    public required string Tool { get; set; }
    public string? Model { get; set; }
    public string? WorkingDirectory { get; set; }
    public string? Title { get; set; }
    public DateTime StartedAt { get; set; }
    public DateTime? EndedAt { get; set; }

    /// <summary>JSON array of tags.</summary>
    public required string Tags { get; set; }

    public string? ExternalId { get; set; }

    [NotAudited]
    public long MessageCount { get; set; }
}

/// <summary>A conversation of a work session; <see cref="ParentId"/> makes it a side thread. Not audited (decisions).</summary>
[NotAudited]
public sealed class Conversation : Entity, ITenantOwned
{
    public Guid TenantId { get; set; }
    public Guid WorkSessionId { get; set; }
    public Guid? ParentId { get; set; }

    /// <summary>The title; setting it sets <see cref="TitleSearch"/>, what the search indexes (migration 0018).</summary>
    public string? Title
    {
        get => title;
        set
        {
            title = value;
            TitleSearch = value is null ? null : Search.SearchText.Normalize(value);
        }
    }

    private string? title;

    /// <summary>The title's normalized tokens (<see cref="Search.SearchText.Normalize"/>), indexed for search.</summary>
    public string? TitleSearch { get; set; }

    public string? Summary { get; set; }
    public string? ExternalId { get; set; }
    public int MessageCount { get; set; }

    /// <summary>The position the next message takes: taken with <c>UPDATE ... RETURNING</c>, never reused.</summary>
    public int NextPosition { get; set; }
}

/// <summary>A message: where it is, who said it, its usage, and a reference to its de-duplicated content.</summary>
[NotAudited]
public sealed class Message : ITenantOwned
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public Guid WorkSessionId { get; set; }
    public Guid ConversationId { get; set; }
    public int Position { get; set; }
    public required string Role { get; set; }
    public DateTime CreatedAt { get; set; }
    public string? Model { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public long CacheReadTokens { get; set; }
    public long CacheWriteTokens { get; set; }
    public string? ExternalId { get; set; }
    public Guid? ParentId { get; set; }
    public long ContentId { get; set; }
}

/// <summary>
/// A message content, stored once per organization: <see cref="Hash"/> is the lower-case hex SHA-256 of
/// <see cref="Blocks"/>, its canonical JSON (RFC 8785), and <see cref="Bytes"/> that JSON's UTF-8 length. The search
/// index (PostgreSQL <c>search</c> tsvector, SQLite FTS5 <c>message_search</c>) is written beside it in SQL.
/// </summary>
[NotAudited]
public sealed class MessageContent : ITenantOwned
{
    public long Id { get; set; }
    public Guid TenantId { get; set; }
    public required string Hash { get; set; }
    public required string Blocks { get; set; }
    public int Bytes { get; set; }
    public DateTime CreatedAt { get; set; }
}

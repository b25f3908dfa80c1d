using System.Buffers.Text;
using System.Data.Common;
using System.Text;
using Coditect.Contracts.DevContext;
using Coditect.Server.Data;
using Coditect.Server.DevContext.WorkSessions;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Coditect.Server.DevContext.Search;

/// <summary><c>Search:MaxRankedCandidates</c>: how many of the newest matches are ranked (decisions, "Search").</summary>
public sealed class SearchOptions
{
    public const string Section = "Search";

    [System.ComponentModel.DataAnnotations.Range(100, 1_000_000)]
    public int MaxRankedCandidates { get; set; } = 5000;
}

/// <summary>What to search and where: the parsed query, the fields beyond text blocks, and the filters.</summary>
public sealed record SearchRequest(
    SearchQuery Query, bool Thinking, bool ToolResults, Guid? ProjectId, Guid? WorkSessionId, string? Role, string? Model, string? Tool, Guid? UserId,
    DateTime? From, DateTime? To, int PageSize, int Offset)
{
    /// <summary>
    /// The search the query string asks for (<c>q</c>, <c>include</c>, the filters, <c>cursor</c>, <c>page_size</c>),
    /// as the API and the console's search page read it; null with <paramref name="errors"/> naming the fields when it cannot run.
    /// </summary>
    public static SearchRequest? Read(HttpRequest request, Validator errors)
    {
        var q = request.Query["q"].ToString();
        SearchQuery? query = null;
        if (q.Trim().Length == 0)
        {
            errors.Add("q", "is required.");
        }
        else if (q.Length > DevContext.Query.MaxSearch)
        {
            errors.Add("q", $"must be at most {DevContext.Query.MaxSearch} characters.");
        }
        else
        {
            (query, var problem) = SearchQuery.Parse(q);
            if (problem is not null)
            {
                errors.Add("q", problem);
            }
        }

        var include = request.Query["include"].Where(v => v is not null).SelectMany(v => v!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToList();
        if (include.Any(i => i is not ("thinking" or "tool_results")))
        {
            errors.Add("include", "must list thinking and/or tool_results, comma-separated.");
        }

        var pageSize = DevContext.Query.Int(request, errors, "page_size", 1, Keyset.MaxPageSize) ?? Keyset.DefaultPageSize;
        var offset = 0;
        if (DevContext.Query.Text(request, "cursor") is { } cursor)
        {
            if (MessageSearch.Offset(cursor) is { } at)
            {
                offset = at;
            }
            else
            {
                errors.Add("cursor", "is not a cursor this search gave out; start again without it.");
            }
        }

        var searchRequest = new SearchRequest(query!, include.Contains("thinking"), include.Contains("tool_results"),
            DevContext.Query.Id(request, errors, "project_id"), DevContext.Query.Id(request, errors, "work_session_id"),
            DevContext.Query.OneOf(request, errors, "role", MessageLog.Roles), DevContext.Query.Text(request, "model"),
            DevContext.Query.OneOf(request, errors, "tool", WorkSessionAdmin.Tools), DevContext.Query.Id(request, errors, "user_id"),
            DevContext.Query.Time(request, errors, "from"), DevContext.Query.Time(request, errors, "to"), pageSize, offset);
        return errors.IsValid ? searchRequest : null;
    }
}

/// <summary>
/// Full-text search over the organization's messages (scoped). The index holds each unique content once; a match is
/// joined to the messages that use it and filtered by work session, project, role, model, tool, member and time.
/// Conversation titles are searched too (their own index, migration 0018): a title that matches gives a hit of kind
/// <c>conversation</c> on the conversation's first message, which the filters judge like any other message. The
/// newest <see cref="SearchOptions.MaxRankedCandidates"/> matches are ranked (PostgreSQL <c>ts_rank</c>, FTS5
/// <c>bm25</c>), pages are offsets into that ranking (an opaque cursor), and snippets are made for the page only.
/// Tenant safety: the query filters by the organization (and row-level security filters again on PostgreSQL). The
/// index on both providers (<c>message_search</c>: FTS5 on SQLite, a table with a GIN index on PostgreSQL, outside
/// row-level security so that the index can serve the match) holds every organization's text, so its rows are only
/// reached through the organization's messages.
/// </summary>
public sealed class MessageSearch(CoditectDbContext db, TenantContext tenant, IOptions<SearchOptions> options, ILogger<MessageSearch> logger)
{
    /// <summary>A search slower than this is logged with where its time went (ranking, page), to find stalls.</summary>
    public static readonly TimeSpan Slow = TimeSpan.FromMilliseconds(250);

    public async Task<SearchResponse> SearchAsync(SearchRequest request, CancellationToken ct)
    {
        var started = TimeProvider.System.GetTimestamp();
        var hits = db.Database.IsNpgsql() ? await RankPostgresAsync(request, ct) : await RankSqliteAsync(request, ct);
        var ranked = TimeProvider.System.GetElapsedTime(started);
        var candidates = hits.Count;
        var page = await PageAsync(request, hits, ct);
        var total = TimeProvider.System.GetElapsedTime(started);
        if (total >= Slow)
        {
            logger.LogWarning("Slow message search: {TotalMs:F0} ms, ranking {RankMs:F0} ms, page {PageMs:F0} ms, {Hits} hit(s) ranked",
                total.TotalMilliseconds, ranked.TotalMilliseconds, (total - ranked).TotalMilliseconds, candidates);
        }

        return page;
    }

    private async Task<SearchResponse> PageAsync(SearchRequest request, List<(Guid Id, string Kind, double Rank)> hits, CancellationToken ct)
    {
        string? next = null;
        if (hits.Count > request.PageSize)
        {
            hits.RemoveAt(request.PageSize);
            next = Cursor(request.Offset + request.PageSize);
        }

        // The page's rows by primary key alone, the organization checked on each row here (and by row-level security on
        // PostgreSQL): with the organization's filter in the statement, SQLite, which keeps no planner statistics here,
        // takes the organization's index on messages for a selective one and walks it instead of the page's keys
        // (0.6 s a page at 1,000,000 messages).
        var ids = hits.Select(h => h.Id).ToList();
        var tenantId = tenant.TenantId!.Value;
        var rows = await db.Set<Message>().IgnoreQueryFilters().AsNoTracking().Where(m => ids.Contains(m.Id))
            .Join(db.Set<MessageContent>().IgnoreQueryFilters(), m => m.ContentId, c => c.Id, (m, c) => new { m, c.Blocks })
            .Join(db.Set<WorkSession>().IgnoreQueryFilters(), x => x.m.WorkSessionId, s => s.Id, (x, s) => new { x.m, x.Blocks, s.ProjectId })
            .Join(db.Set<Conversation>().IgnoreQueryFilters(), x => x.m.ConversationId, c => c.Id, (x, c) => new { x.m, x.Blocks, x.ProjectId, c.Title })
            .ToListAsync(ct);
        var byId = rows.Where(r => r.m.TenantId == tenantId).ToDictionary(r => r.m.Id);
        var items = new List<SearchHit>(hits.Count);
        foreach (var (id, kind, rank) in hits)
        {
            if (!byId.TryGetValue(id, out var row))
            {
                continue;
            }

            if (kind == SearchHitKinds.Conversation)
            {
                items.Add(new SearchHit(id, row.m.WorkSessionId, row.m.ConversationId, row.ProjectId, row.Title, row.m.Position, row.m.Role, row.m.Model,
                    row.m.CreatedAt, Math.Round(rank, 6), SearchText.Snippet(row.Title ?? "", request.Query) ?? "", SearchHitKinds.Conversation));
                continue;
            }

            var blocks = ContentHash.Parse(row.Blocks);
            var snippet = SearchText.Snippet(SearchText.Display(blocks, BlockTypes.Text), request.Query)
                ?? (request.Thinking ? SearchText.Snippet(SearchText.Display(blocks, BlockTypes.Thinking), request.Query) : null)
                ?? (request.ToolResults ? SearchText.Snippet(SearchText.Display(blocks, BlockTypes.ToolUse), request.Query) : null)
                ?? "";
            items.Add(new SearchHit(id, row.m.WorkSessionId, row.m.ConversationId, row.ProjectId, row.Title, row.m.Position, row.m.Role, row.m.Model,
                row.m.CreatedAt, Math.Round(rank, 6), snippet));
        }

        return new SearchResponse(items, request.PageSize, next);
    }

    /// <summary>
    /// The lexeme every PostgreSQL search vector of the organization carries (migration 0025), ANDed into each query so
    /// that the GIN index returns the organization's matches only. No query word can be one: tokens are letters and digits.
    /// </summary>
    public static string TenantLexeme(Guid tenantId) => "@" + tenantId.ToString("D");

    /// <summary>
    /// The lexeme of a project (migration 0026) in the vector of every content that appears in one of its work sessions.
    /// A search filtered by project ANDs it in instead of the organization's (a project id is the organization's too), so
    /// the index returns that project's matches only: at 1,000,000 messages in four projects, the heaviest two-word search
    /// read a quarter of the rows and took 14 ms instead of 33 ms in PostgreSQL (docs/performance.md).
    /// </summary>
    public static string ProjectLexeme(Guid projectId) => "#" + projectId.ToString("D");

    /// <summary>A lexeme as <c>tsquery</c> text (quoted, so that its punctuation is part of it).</summary>
    public static string LexemeQuery(string lexeme) => "'" + lexeme + "'";

    public static string Cursor(int offset) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes("o:" + offset.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>The offset a cursor stands for; null when it is not one of ours.</summary>
    public static int? Offset(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            return text.StartsWith("o:", StringComparison.Ordinal) && int.TryParse(text[2..], System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var offset) ? offset : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The filters as SQL over <c>m</c> (messages) and <c>s</c> (work sessions), with their parameters.</summary>
    private static string Filters(SearchRequest r, DbCommand command, Func<string, object, DbParameter> parameter)
    {
        var sql = new StringBuilder();
        void Add(string condition, string name, object? value)
        {
            if (value is null)
            {
                return;
            }

            sql.Append(" AND ").Append(condition);
            command.Parameters.Add(parameter(name, value));
        }

        Add("s.project_id = @project", "project", r.ProjectId);
        Add("m.work_session_id = @session", "session", r.WorkSessionId);
        Add("m.role = @role", "role", r.Role);
        Add("m.model = @model", "model", r.Model);
        Add("s.tool = @tool", "tool", r.Tool);
        Add("s.user_id = @user", "user", r.UserId);
        Add("m.created_at >= @from", "from", r.From);
        Add("m.created_at < @to", "to", r.To);
        return sql.ToString();
    }

    private async Task<List<(Guid Id, string Kind, double Rank)>> RankPostgresAsync(SearchRequest r, CancellationToken ct)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var command = new NpgsqlCommand { Connection = connection, Transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction() };
        var filters = Filters(r, command, (name, value) => new NpgsqlParameter(name, value));
        // The match runs on message_search (no row-level security, migration 0024), so its GIN index serves it; under a
        // policy PostgreSQL cannot use an index for `@@` (not leakproof) and reads every content of the organization.
        // The organization's lexeme (migration 0025), or the project's when the search names one (0026), narrows the
        // index's answer to the organization's (the project's) contents; `messages` (its filter here and its policy)
        // applies the organization again, the project filter decides, and the messages' content index covers every column
        // the filters and the order read, so a match costs one index look-up.
        command.CommandText = $"""
            WITH candidates AS (
                SELECT m.id, m.created_at, x.search
                FROM message_search x
                JOIN messages m ON m.content_id = x.content_id AND m.tenant_id = @tenant
                JOIN work_sessions s ON s.id = m.work_session_id
                WHERE x.search @@ (to_tsquery('simple', @query) && @scope_lexeme::tsquery){filters}
                ORDER BY m.created_at DESC, m.id DESC
                LIMIT @candidates),
            titles AS (
                SELECT m.id, m.created_at, v.title_vector AS search
                FROM conversations v
                JOIN LATERAL (SELECT * FROM messages f WHERE f.conversation_id = v.id ORDER BY f.position LIMIT 1) m ON true
                JOIN work_sessions s ON s.id = m.work_session_id
                WHERE v.tenant_id = @tenant AND v.title_vector @@ to_tsquery('simple', @query){filters}
                ORDER BY m.created_at DESC, m.id DESC
                LIMIT @candidates)
            SELECT id, kind, ts_rank(search, to_tsquery('simple', @query), 1)::float8 AS rank
            FROM (SELECT id, 'message' AS kind, created_at, search FROM candidates
                  UNION ALL SELECT id, 'conversation', created_at, search FROM titles) x
            ORDER BY rank DESC, created_at DESC, id DESC, kind DESC
            OFFSET @offset LIMIT @limit
            """;
        command.Parameters.Add(new NpgsqlParameter("query", r.Query.ToTsQuery(r.Thinking, r.ToolResults)));
        command.Parameters.Add(new NpgsqlParameter("tenant", tenant.TenantId!.Value));
        command.Parameters.Add(new NpgsqlParameter("scope_lexeme",
            LexemeQuery(r.ProjectId is { } project ? ProjectLexeme(project) : TenantLexeme(tenant.TenantId!.Value))));
        command.Parameters.Add(new NpgsqlParameter("candidates", options.Value.MaxRankedCandidates));
        command.Parameters.Add(new NpgsqlParameter("offset", r.Offset));
        command.Parameters.Add(new NpgsqlParameter("limit", r.PageSize + 1));
        var hits = new List<(Guid, string, double)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            hits.Add((reader.GetGuid(0), reader.GetString(1), reader.GetDouble(2)));
        }

        return hits;
    }

    private async Task<List<(Guid Id, string Kind, double Rank)>> RankSqliteAsync(SearchRequest r, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        DbParameter Parameter(string name, object value)
        {
            var p = command.CreateParameter();
            p.ParameterName = "@" + name;
            p.Value = value switch
            {
                Guid g => SqliteValues.Id(g),
                DateTime t => SqliteValues.Text(t),
                _ => value,
            };
            return p;
        }

        var filters = Filters(r, command, Parameter);
        // bm25 is lower for better matches; the answer's rank is its negation, so higher is better on both providers.
        // CROSS JOIN keeps SQLite's join order: the matches first, then their messages by index. With a plain JOIN the
        // planner may walk every message of the organization and run the MATCH for each one (seconds per query at
        // 1,000,000 messages; bench/messages.sh). The organization is applied by the messages (a content belongs to
        // its messages' organization), so the contents' rows are not read at all.
        command.CommandText = $"""
            WITH matches AS (SELECT rowid AS content_id, bm25(message_search) AS score FROM message_search WHERE message_search MATCH @query),
            candidates AS (
                SELECT m.id, m.created_at, x.score
                FROM matches x
                CROSS JOIN messages m ON m.content_id = x.content_id AND m.tenant_id = @tenant
                JOIN work_sessions s ON s.id = m.work_session_id
                WHERE 1 = 1{filters}
                ORDER BY m.created_at DESC, m.id DESC
                LIMIT @candidates),
            title_matches AS (SELECT conversation_id, bm25(conversation_search) AS score FROM conversation_search WHERE conversation_search MATCH @title_query),
            titles AS (
                SELECT m.id, m.created_at, t.score
                FROM title_matches t
                CROSS JOIN conversations v ON v.id = t.conversation_id AND v.tenant_id = @tenant
                JOIN messages m ON m.id = (SELECT f.id FROM messages f WHERE f.conversation_id = v.id ORDER BY f.position LIMIT 1)
                JOIN work_sessions s ON s.id = m.work_session_id
                WHERE 1 = 1{filters}
                ORDER BY m.created_at DESC, m.id DESC
                LIMIT @candidates)
            SELECT id, kind, -score FROM (SELECT id, 'message' AS kind, created_at, score FROM candidates
                                          UNION ALL SELECT id, 'conversation', created_at, score FROM titles)
            ORDER BY score, created_at DESC, id DESC, kind DESC LIMIT @limit OFFSET @offset
            """;
        command.Parameters.Add(Parameter("query", r.Query.ToFts5(r.Thinking, r.ToolResults)));
        command.Parameters.Add(Parameter("title_query", r.Query.ToFts5("title")));
        command.Parameters.Add(Parameter("tenant", tenant.TenantId!.Value));
        command.Parameters.Add(Parameter("candidates", options.Value.MaxRankedCandidates));
        command.Parameters.Add(Parameter("offset", r.Offset));
        command.Parameters.Add(Parameter("limit", r.PageSize + 1));
        var hits = new List<(Guid, string, double)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            hits.Add((Guid.Parse(reader.GetString(0)), reader.GetString(1), reader.GetDouble(2)));
        }

        return hits;
    }
}

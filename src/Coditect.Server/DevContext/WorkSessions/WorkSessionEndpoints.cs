using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.DevContext.Import;
using Coditect.Server.DevContext.Search;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coditect.Server.DevContext.WorkSessions;

/// <summary>
/// <c>/orgs/{org}/work-sessions</c> with their conversations and messages, <c>/messages/search</c>,
/// <c>/message-contents</c> (where a content appears), import and export, statistics. Every member reads and searches
/// (ReadWork); owners, admins and members create, append, import and delete (ManageWork).
/// </summary>
public static class WorkSessionEndpoints
{
    public static void MapWorkSessions(this RouteGroupBuilder org)
    {
        var sessions = org.MapGroup("/work-sessions").WithTags("Work sessions");
        sessions.MapPost("/", Create).RequirePermission(Permission.ManageWork)
            .WithName("createWorkSession").WithSummary("Start recording a work session (its main conversation is made with it)")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ProjectNotFound, ProblemCodes.RepositoryNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.ExternalIdTaken);
        sessions.MapGet("/", List).RequirePermission(Permission.ReadWork)
            .WithName("listWorkSessions").WithSummary("List work sessions, newest first")
            .WithKeysetPaging("-started_at", [.. WorkSessionAdmin.Sorts.Names])
            .WithQuery(
                new QueryParameter("project_id", "Only this project's work sessions.") { Format = "uuid" },
                new QueryParameter("user_id", "Only this member's work sessions.") { Format = "uuid" },
                QueryParameter.OneOf("tool", "Only work sessions of this tool.", WorkSessionAdmin.Tools),
                QueryParameter.Text("model", "Only work sessions with this model.", maxLength: 200),
                QueryParameter.Text("external_id", "Only the work session with this external id.", maxLength: 200),
                QueryParameter.Time("from", "Only work sessions started at or after this time."),
                QueryParameter.Time("to", "Only work sessions started before this time."));
        sessions.MapGet("/{id:guid}", Get).RequirePermission(Permission.ReadWork)
            .WithName("getWorkSession").WithSummary("Get a work session")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.WorkSessionNotFound);
        sessions.MapDelete("/{id:guid}", Delete).RequirePermission(Permission.ManageWork)
            .WithName("deleteWorkSession").WithSummary("Delete a work session with its conversations and messages; contents nothing else uses go too")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.WorkSessionNotFound);
        sessions.MapGet("/{id:guid}/timeline", Timeline).RequirePermission(Permission.ReadWork)
            .WithName("getWorkSessionTimeline").WithSummary("A work session's conversations and its messages in order (main thread, then side threads)")
            .WithQuery(QueryParameter.Cursor, QueryParameter.KeysetPageSize,
                new QueryParameter("conversation_id", "Only this conversation's messages.") { Format = "uuid" })
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.WorkSessionNotFound);
        sessions.MapGet("/{id:guid}/conversations", Conversations).RequirePermission(Permission.ReadWork)
            .WithName("listConversations").WithSummary("A work session's conversations, oldest first")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.WorkSessionNotFound);
        sessions.MapPost("/{id:guid}/conversations", CreateConversation).RequirePermission(Permission.ManageWork)
            .WithLongText("summary")
            .WithName("createConversation").WithSummary("Add a conversation (a side thread when it names a parent)")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.WorkSessionNotFound, ProblemCodes.ConversationNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.ExternalIdTaken);
        sessions.MapPost("/{id:guid}/messages", AppendMain).RequirePermission(Permission.ManageWork)
            .WithLongText(MessageTextFields).WithBodyLimit(MessageLog.BodyLimit)
            .WithName("appendMessages").WithSummary("Append up to 1,000 messages to the work session's main conversation")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.WorkSessionNotFound)
            .ProducesProblems(StatusCodes.Status402PaymentRequired, ProblemCodes.QuotaExceeded);
        sessions.MapPost("/{id:guid}/conversations/{conversationId:guid}/messages", Append).RequirePermission(Permission.ManageWork)
            .WithLongText(MessageTextFields).WithBodyLimit(MessageLog.BodyLimit)
            .WithName("appendConversationMessages").WithSummary("Append up to 1,000 messages to a conversation")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.WorkSessionNotFound, ProblemCodes.ConversationNotFound)
            .ProducesProblems(StatusCodes.Status402PaymentRequired, ProblemCodes.QuotaExceeded);
        sessions.MapGet("/{id:guid}/export", ExportOne).RequirePermission(Permission.ReadWork)
            .WithName("exportWorkSession").WithSummary("Export a work session as JSON Lines (the format import reads back)")
            .Produces(StatusCodes.Status200OK, contentType: SessionExport.ContentType)
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.WorkSessionNotFound);
        sessions.MapGet("/export", ExportMany).RequirePermission(Permission.ReadWork)
            .WithName("exportWorkSessions").WithSummary("Export the organization's (or a project's) work sessions as JSON Lines")
            .WithQuery(new QueryParameter("project_id", "Only this project's work sessions.") { Format = "uuid" })
            .Produces(StatusCodes.Status200OK, contentType: SessionExport.ContentType)
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ProjectNotFound);
        sessions.MapPost("/import", Import).RequirePermission(Permission.ManageWork)
            .WithBodyLimit(TranscriptImport.BodyLimit)
            .WithName("importWorkSessions").WithSummary("Import one file: a Claude Code transcript, an export, or a chat array; idempotent")
            .WithQuery(
                QueryParameter.OneOf("format", "The file's format.", TranscriptImport.Formats),
                new QueryParameter("project_id", "Attach the imported work sessions to this project.") { Format = "uuid" },
                QueryParameter.Text("external_id", "For `chat`: the work session's external id, so that a re-import finds it (without one, each import is a new work session; the CLI sends the file's SHA-256).", maxLength: 200),
                QueryParameter.Text("title", "For `chat`: the work session's title.", maxLength: 200))
            .ProducesProblems(StatusCodes.Status402PaymentRequired, ProblemCodes.QuotaExceeded)
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ProjectNotFound);
        sessions.MapGet("/stats", Stats).RequirePermission(Permission.ReadWork)
            .WithName("getWorkSessionStats").WithSummary("Work-session statistics of the organization or a project")
            .WithQuery(new QueryParameter("project_id", "Only this project's work sessions.") { Format = "uuid" })
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ProjectNotFound);

        org.MapGet("/messages/search", SearchMessages).RequirePermission(Permission.ReadWork).WithTags("Work sessions")
            .WithName("searchMessages").WithSummary("Full-text search over messages: words, \"phrases\", -excluded, prefix*; ranked, with snippets")
            .WithQuery(
                QueryParameter.Text("q", "The query: words (all must appear), \"quoted phrases\", -excluded, prefix*.", maxLength: Query.MaxSearch),
                QueryParameter.Text("include", "Also search `thinking` and/or `tool_results` (comma-separated).", maxLength: 50),
                new QueryParameter("project_id", "Only this project's messages.") { Format = "uuid" },
                new QueryParameter("work_session_id", "Only this work session's messages.") { Format = "uuid" },
                QueryParameter.OneOf("role", "Only messages of this role.", MessageLog.Roles),
                QueryParameter.Text("model", "Only messages of this model.", maxLength: 200),
                QueryParameter.OneOf("tool", "Only work sessions of this tool.", WorkSessionAdmin.Tools),
                new QueryParameter("user_id", "Only this member's work sessions.") { Format = "uuid" },
                QueryParameter.Time("from", "Only messages at or after this time."),
                QueryParameter.Time("to", "Only messages before this time."),
                QueryParameter.Cursor, QueryParameter.KeysetPageSize);

        var contents = org.MapGroup("/message-contents").WithTags("Work sessions");
        contents.MapGet("/{hash}", Usage).RequirePermission(Permission.ReadWork)
            .WithName("getContentUsage").WithSummary("Where a content appears, by its SHA-256")
            .WithQuery(QueryParameter.Cursor, QueryParameter.KeysetPageSize)
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ContentNotFound);
        contents.MapPost("/lookup", Lookup).RequirePermission(Permission.ReadWork)
            .WithLongText("text", "blocks[].text", "blocks[].content", "blocks[].input.*").WithBodyLimit(MessageLog.BodyLimit)
            .WithName("lookupContent").WithSummary("Hash a content as the server does and say where it appears")
            .WithQuery(QueryParameter.Cursor, QueryParameter.KeysetPageSize)
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ContentNotFound);
    }

    private static readonly string[] MessageTextFields =
        ["messages[].text", "messages[].blocks[].text", "messages[].blocks[].content", "messages[].blocks[].input.*"];

    private static async Task<Results<Created<WorkSessionResponse>, ProblemHttpResult>> Create(
        CreateWorkSessionRequest body, OrgScope scope, WorkSessionAdmin admin, CancellationToken ct) =>
        Answers.Created(await admin.CreateAsync(body, ct), s => $"/api/v1/orgs/{scope.Organization.Slug}/work-sessions/{s.Id}");

    private static async Task<Results<Ok<CursorPage<WorkSessionResponse>>, ProblemHttpResult>> List(
        HttpRequest request, WorkSessionAdmin admin, CancellationToken ct)
    {
        var errors = new Validator();
        var keyset = Keyset.Parse(request, errors, WorkSessionAdmin.Sorts);
        var filter = new WorkSessionAdmin.SessionFilter(
            Query.Id(request, errors, "project_id"), Query.Id(request, errors, "user_id"), Query.OneOf(request, errors, "tool", WorkSessionAdmin.Tools),
            Query.Text(request, "model"), Query.Text(request, "external_id"), Query.Time(request, errors, "from"), Query.Time(request, errors, "to"));
        return errors.IsValid ? TypedResults.Ok(await admin.ListAsync(filter, keyset, ct)) : Problems.Validation(errors);
    }

    private static async Task<Results<Ok<WorkSessionResponse>, ProblemHttpResult>> Get(Guid id, WorkSessionAdmin admin, CancellationToken ct) =>
        await admin.GetAsync(id, ct) is { } found ? TypedResults.Ok(found) : WorkAnswers.SessionNotFound().ToProblem();

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid id, WorkSessionAdmin admin, CancellationToken ct) =>
        Answers.NoContent(await admin.DeleteAsync(id, ct));

    private static async Task<Results<Ok<TimelineResponse>, ProblemHttpResult>> Timeline(Guid id, HttpRequest request, MessageLog log, CancellationToken ct)
    {
        var errors = new Validator();
        var pageSize = Query.Int(request, errors, "page_size", 1, Keyset.MaxPageSize) ?? Keyset.DefaultPageSize;
        var conversation = Query.Id(request, errors, "conversation_id");
        var cursor = Query.Text(request, "cursor");
        if (!TimelineCursor.IsValid(cursor))
        {
            errors.Add("cursor", "is not a cursor this list gave out; start again without it.");
        }

        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        return await log.TimelineAsync(id, conversation, pageSize, cursor, ct) is { } timeline
            ? TypedResults.Ok(timeline) : WorkAnswers.SessionNotFound().ToProblem();
    }

    private static async Task<Results<Ok<List<ConversationResponse>>, ProblemHttpResult>> Conversations(Guid id, WorkSessionAdmin admin, CancellationToken ct) =>
        await admin.ConversationsAsync(id, ct) is { } list ? TypedResults.Ok(list) : WorkAnswers.SessionNotFound().ToProblem();

    private static async Task<Results<Created<ConversationResponse>, ProblemHttpResult>> CreateConversation(
        Guid id, CreateConversationRequest body, OrgScope scope, WorkSessionAdmin admin, CancellationToken ct) =>
        Answers.Created(await admin.CreateConversationAsync(id, body, ct),
            c => $"/api/v1/orgs/{scope.Organization.Slug}/work-sessions/{id}/timeline?conversation_id={c.Id}");

    private static async Task<Results<Ok<MessageBatchResponse>, ProblemHttpResult>> AppendMain(
        Guid id, MessageBatchRequest body, MessageLog log, CancellationToken ct) =>
        Answers.Ok(await log.AppendAsync(id, null, body, ct));

    private static async Task<Results<Ok<MessageBatchResponse>, ProblemHttpResult>> Append(
        Guid id, Guid conversationId, MessageBatchRequest body, MessageLog log, CancellationToken ct) =>
        Answers.Ok(await log.AppendAsync(id, conversationId, body, ct));

    private static async Task<IResult> ExportOne(Guid id, HttpContext http, SessionExport export, CancellationToken ct)
    {
        if (!await export.ExistsAsync(id, ct))
        {
            return WorkAnswers.SessionNotFound().ToProblem();
        }

        http.Response.ContentType = SessionExport.ContentType;
        await export.WriteAsync(http.Response.Body, [id], ct);
        return TypedResults.Empty;
    }

    private static async Task<IResult> ExportMany(HttpRequest request, HttpContext http, SessionExport export, CancellationToken ct)
    {
        var errors = new Validator();
        var project = Query.Id(request, errors, "project_id");
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        if (await export.SessionIdsAsync(project, ct) is not { } ids)
        {
            return Answers.ProjectNotFound().ToProblem();
        }

        http.Response.ContentType = SessionExport.ContentType;
        await export.WriteAsync(http.Response.Body, ids, ct);
        return TypedResults.Empty;
    }

    private static async Task<Results<Ok<TranscriptImportResponse>, ProblemHttpResult>> Import(HttpRequest request, TranscriptImport import, CancellationToken ct)
    {
        var errors = new Validator();
        var format = Query.OneOf(request, errors, "format", TranscriptImport.Formats);
        if (format is null && errors.IsValid)
        {
            errors.Add("format", $"is required: one of {string.Join(", ", TranscriptImport.Formats)}.");
        }

        var project = Query.Id(request, errors, "project_id");
        var external = Query.Text(request, "external_id");
        var title = Query.Text(request, "title");
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        return Answers.Ok(await import.ImportAsync(request.Body, new ImportOptions(format!, project, external, title), ct));
    }

    private static async Task<Results<Ok<WorkSessionStatsResponse>, ProblemHttpResult>> Stats(HttpRequest request, WorkSessionStats stats, CancellationToken ct)
    {
        var errors = new Validator();
        var project = Query.Id(request, errors, "project_id");
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        return await stats.ForAsync(project, ct) is { } answer ? TypedResults.Ok(answer) : Answers.ProjectNotFound().ToProblem();
    }

    private static async Task<Results<Ok<SearchResponse>, ProblemHttpResult>> SearchMessages(HttpRequest request, MessageSearch search, CancellationToken ct)
    {
        var errors = new Validator();
        return SearchRequest.Read(request, errors) is { } searchRequest
            ? TypedResults.Ok(await search.SearchAsync(searchRequest, ct)) : Problems.Validation(errors);
    }

    private static async Task<Results<Ok<ContentUsageResponse>, ProblemHttpResult>> Usage(string hash, HttpRequest request, MessageLog log, CancellationToken ct)
    {
        var errors = new Validator();
        if (hash.Length != 64 || !hash.All(char.IsAsciiHexDigit))
        {
            errors.Add("hash", "must be 64 hexadecimal digits (a SHA-256).");
        }

        var pageSize = Query.Int(request, errors, "page_size", 1, Keyset.MaxPageSize) ?? Keyset.DefaultPageSize;
        var cursor = Query.Text(request, "cursor");
        if (!TimelineCursor.IsValid(cursor))
        {
            errors.Add("cursor", "is not a cursor this list gave out; start again without it.");
        }

        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        return await log.UsageAsync(hash.ToLowerInvariant(), pageSize, cursor, ct) is { } usage
            ? TypedResults.Ok(usage) : WorkAnswers.ContentNotFound().ToProblem();
    }

    private static async Task<Results<Ok<ContentUsageResponse>, ProblemHttpResult>> Lookup(
        HashContentRequest body, HttpRequest request, MessageLog log, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Validator();
        var prepared = MessageLog.Prepare(errors, "content", new MessageInput(MessageRoles.User, body.Text, body.Blocks), clock.GetUtcNow().UtcDateTime);
        var pageSize = Query.Int(request, errors, "page_size", 1, Keyset.MaxPageSize) ?? Keyset.DefaultPageSize;
        var cursor = Query.Text(request, "cursor");
        if (!TimelineCursor.IsValid(cursor))
        {
            errors.Add("cursor", "is not a cursor this list gave out; start again without it.");
        }

        if (!errors.IsValid || prepared is null)
        {
            return Problems.Validation(FieldsOf(errors));
        }

        return await log.UsageAsync(prepared.Hash, pageSize, cursor, ct) is { } usage
            ? TypedResults.Ok(usage) : WorkAnswers.ContentNotFound().ToProblem();
    }

    /// <summary>Errors of the shared message rules, named as this body's fields (<c>content.blocks[0].text</c> is <c>blocks[0].text</c>).</summary>
    private static Validator FieldsOf(Validator errors)
    {
        var renamed = new Validator();
        foreach (var (field, messages) in errors.ToDictionary())
        {
            renamed.Add(field.StartsWith("content.", StringComparison.Ordinal) ? field["content.".Length..] : field, messages[0]);
        }

        return renamed;
    }
}

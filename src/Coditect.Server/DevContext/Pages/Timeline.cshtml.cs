using Coditect.Contracts.DevContext;
using Coditect.Server.Data;
using Coditect.Server.DevContext.Import;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.DevContext.WorkSessions;
using Coditect.Server.Organizations;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.DevContext.Pages;

/// <summary>
/// A work session's timeline as a chat: the main thread, then side threads, messages by position, 200 a page (the
/// API's timeline cursor); tool calls, tool results and thinking folded. The export downloads the JSON Lines the
/// import reads back.
/// </summary>
[RequirePermission(Permission.ReadWork)]
public sealed class TimelineModel(MessageLog log, ProjectAdmin projects, SessionExport export, CoditectDbContext db) : ConsolePage
{
    public TimelineResponse Timeline { get; private set; } = null!;
    public Guid? ConversationId { get; private set; }
    public string? Cursor { get; private set; }
    public string? ProjectName { get; private set; }
    public string? MemberName { get; private set; }

    public WorkSessionResponse Session => Timeline.WorkSession;

    public override string Title => Timeline?.WorkSession.Title ?? "Work session";

    public string SessionPath => Shell.OrgPath($"/work-sessions/{Session.Id}");

    /// <summary>The conversations under <paramref name="parent"/> (the main thread and other roots under null), oldest first.</summary>
    public IEnumerable<ConversationResponse> Threads(Guid? parent) => Timeline.Conversations.Where(c => c.ParentId == parent);

    public ConversationResponse? Conversation(Guid id) => Timeline.Conversations.FirstOrDefault(c => c.Id == id);

    public string ThreadName(ConversationResponse c) => c.ParentId is null
        ? (c.ExternalId == WorkSessionAdmin.MainConversation ? "Main thread" : c.Title ?? "Conversation")
        : "Side thread" + (c.Title is { } title ? ": " + title : "");

    public string PageUrl(string? cursor, Guid? conversation) =>
        SessionPath + "?" + string.Join("&", new[] { ("conversation_id", conversation?.ToString() ?? ""), ("cursor", cursor ?? "") }
            .Where(p => p.Item2.Length > 0).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2)}"));

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        var errors = new Platform.Validator();
        ConversationId = Query.Id(Request, errors, "conversation_id");
        Cursor = Query.Text(Request, "cursor");
        if (!SessionPages.IsTimelineCursor(Cursor))
        {
            errors.Add("cursor", "is not a page of this timeline; showing the first page.");
            Cursor = null;
        }

        if (!errors.IsValid)
        {
            ShowErrors(errors);
        }

        if (await log.TimelineAsync(id, ConversationId, SessionPages.TimelinePageSize, Cursor, ct) is not { } timeline)
        {
            return NotFound();
        }

        Timeline = timeline;
        if (Session.ProjectId is { } project)
        {
            ProjectName = (await projects.GetAsync(project, ct))?.Name;
        }

        if (Session.UserId is { } user)
        {
            MemberName = (await WorkPages.MembersAsync(db, ct)).FirstOrDefault(m => m.Id == user)?.Name;
        }

        return Page();
    }

    /// <summary>The work session as JSON Lines, as <c>GET .../work-sessions/{id}/export</c> gives it.</summary>
    public async Task<IActionResult> OnGetExportAsync(Guid id, CancellationToken ct)
    {
        if (!await export.ExistsAsync(id, ct))
        {
            return NotFound();
        }

        Response.ContentType = SessionExport.ContentType;
        Response.Headers.ContentDisposition = $"attachment; filename=\"work-session-{id}.jsonl\"";
        await export.WriteAsync(Response.Body, [id], ct);
        return new EmptyResult();
    }
}

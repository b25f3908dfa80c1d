using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Data;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.DevContext.Repositories;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.DevContext.WorkSessions;

/// <summary>
/// Work sessions and their conversations (scoped): create, read, list, delete. Deleting a work session takes its
/// conversations and messages with it and then the contents no other message of the organization references.
/// </summary>
public sealed class WorkSessionAdmin(CoditectDbContext db, TenantContext tenant)
{
    /// <summary>The external id of a work session's main conversation.</summary>
    public const string MainConversation = "main";

    public static readonly string[] Tools = [WorkTools.ClaudeCode, WorkTools.Codex, WorkTools.Cursor, WorkTools.Other];

    public static readonly SortKeys<WorkSession> Sorts = new SortKeys<WorkSession>(s => s.Id, "started_at", true)
        .Add("started_at", s => s.StartedAt).Add("created_at", s => s.CreatedAt).Add("message_count", s => s.MessageCount);

    /// <summary>A work session list's filters.</summary>
    public sealed record SessionFilter(Guid? ProjectId, Guid? UserId, string? Tool, string? Model, string? ExternalId, DateTime? From, DateTime? To);

    public async Task<Outcome<WorkSessionResponse>> CreateAsync(CreateWorkSessionRequest input, CancellationToken ct)
    {
        var errors = new Validator();
        var session = Validate(errors, input);
        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        if (await ReferenceProblemAsync(session, ct) is { } problem)
        {
            return problem;
        }

        if (session.ExternalId is { } external
            && await db.Set<WorkSession>().AsNoTracking().FirstOrDefaultAsync(s => s.Tool == session.Tool && s.ExternalId == external, ct) is { } existing)
        {
            return Refusal.Conflict(ProblemCodes.ExternalIdTaken, "Another work session of this organization and tool has that external id.",
                new Dictionary<string, object?> { ["field"] = "external_id", ["id"] = existing.Id });
        }

        return await AddAsync(session, ct);
    }

    /// <summary>Stores a validated session with its main conversation and raises <c>work_session.created</c>.</summary>
    public async Task<WorkSessionResponse> AddAsync(WorkSession session, CancellationToken ct)
    {
        session.TenantId = tenant.TenantId!.Value;
        db.Add(session);
        db.Add(new Conversation { TenantId = session.TenantId, WorkSessionId = session.Id, ExternalId = MainConversation, Title = session.Title });
        await db.SaveChangesAsync(ct);
        var response = session.ToResponse();
        await db.RaiseAsync(DevContextEvents.WorkSessionCreated, response, ct);
        return response;
    }

    /// <summary>A session from the API's fields; errors name them.</summary>
    public WorkSession Validate(Validator errors, CreateWorkSessionRequest input)
    {
        var tool = input.Tool ?? "";
        if (!Tools.Contains(tool))
        {
            errors.Add("tool", $"must be one of {string.Join(", ", Tools)}.");
        }

        var started = MessageLog.Utc(input.StartedAt ?? db.UtcNow);
        var ended = input.EndedAt is { } end ? MessageLog.Utc(end) : (DateTime?)null;
        if (ended < started)
        {
            errors.Add("ended_at", "must not be before started_at.");
        }

        return new WorkSession
        {
            UserId = tenant.UserId ?? tenant.ApiKeyCreatorId,
            Tool = tool,
            ProjectId = input.ProjectId,
            RepositoryId = input.RepositoryId,
            Branch = WorkInput.Optional(errors, "branch", input.Branch, 255),
            Model = WorkInput.Optional(errors, "model", input.Model),
            WorkingDirectory = WorkInput.Optional(errors, "working_directory", input.WorkingDirectory, 1000),
            Title = WorkInput.Optional(errors, "title", input.Title, 500),
            StartedAt = started,
            EndedAt = ended,
            Tags = Tags(errors, input.Tags),
            ExternalId = WorkInput.Optional(errors, "external_id", input.ExternalId),
        };
    }

    /// <summary>Tags as stored (a JSON array): the rules of task labels, under the field <c>tags</c>.</summary>
    private static string Tags(Validator errors, IReadOnlyList<string>? tags)
    {
        var scratch = new Validator();
        var json = WorkInput.Labels(scratch, tags);
        foreach (var field in scratch.Fields)
        {
            errors.Add("tags", scratch.ToDictionary()[field][0].Replace("labels", "tags", StringComparison.Ordinal));
        }

        return json;
    }

    /// <summary>A project or repository the session names that the organization lacks: 404 with that object's code.</summary>
    public async Task<Refusal?> ReferenceProblemAsync(WorkSession session, CancellationToken ct)
    {
        if (session.ProjectId is { } project && !await db.Set<Project>().AnyAsync(p => p.Id == project, ct))
        {
            return Answers.ProjectNotFound();
        }

        if (session.RepositoryId is { } repository && !await db.Set<Repository>().AnyAsync(r => r.Id == repository, ct))
        {
            return Answers.RepositoryNotFound();
        }

        return null;
    }

    public async Task<WorkSessionResponse?> GetAsync(Guid id, CancellationToken ct) =>
        (await db.Set<WorkSession>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct))?.ToResponse();

    public async Task<CursorPage<WorkSessionResponse>> ListAsync(SessionFilter filter, Keyset keyset, CancellationToken ct)
    {
        var sessions = db.Set<WorkSession>().AsNoTracking();
        if (filter.ProjectId is { } project)
        {
            sessions = sessions.Where(s => s.ProjectId == project);
        }

        if (filter.UserId is { } user)
        {
            sessions = sessions.Where(s => s.UserId == user);
        }

        if (filter.Tool is { } tool)
        {
            sessions = sessions.Where(s => s.Tool == tool);
        }

        if (filter.Model is { } model)
        {
            sessions = sessions.Where(s => s.Model == model);
        }

        if (filter.ExternalId is { } external)
        {
            sessions = sessions.Where(s => s.ExternalId == external);
        }

        if (filter.From is { } from)
        {
            sessions = sessions.Where(s => s.StartedAt >= from);
        }

        if (filter.To is { } to)
        {
            sessions = sessions.Where(s => s.StartedAt < to);
        }

        return await keyset.ToPageAsync(sessions, Sorts, s => s.ToResponse(), ct);
    }

    /// <summary>Deletes the session, its conversations and messages, then the contents nothing references any more.</summary>
    public async Task<Refusal?> DeleteAsync(Guid id, CancellationToken ct)
    {
        var session = await db.Set<WorkSession>().FirstOrDefaultAsync(s => s.Id == id, ct);
        if (session is null)
        {
            return WorkAnswers.SessionNotFound();
        }

        var response = session.ToResponse();
        var contents = await db.Set<Message>().AsNoTracking().Where(m => m.WorkSessionId == id).Select(m => m.ContentId).Distinct().ToListAsync(ct);
        await db.Database.ExecuteSqlAsync($"DELETE FROM messages WHERE work_session_id = {id}", ct);
        db.Remove(session);
        await db.SaveChangesAsync(ct);
        var removed = await RemoveUnreferencedAsync(contents, ct);
        await db.RaiseAsync(DevContextEvents.WorkSessionDeleted, new { response.Id, response.ExternalId, response.MessageCount, removed_contents = removed }, ct);
        return null;
    }

    /// <summary>Removes those of <paramref name="contentIds"/> no message references; answers how many went.</summary>
    public async Task<int> RemoveUnreferencedAsync(List<long> contentIds, CancellationToken ct)
    {
        var removed = 0;
        foreach (var chunk in contentIds.Chunk(500))
        {
            removed += await db.Set<MessageContent>().Where(c => chunk.Contains(c.Id) && !db.Set<Message>().Any(m => m.ContentId == c.Id))
                .ExecuteDeleteAsync(ct);
        }

        return removed;
    }

    public async Task<Outcome<ConversationResponse>> CreateConversationAsync(Guid sessionId, CreateConversationRequest input, CancellationToken ct)
    {
        if (!await db.Set<WorkSession>().AnyAsync(s => s.Id == sessionId, ct))
        {
            return WorkAnswers.SessionNotFound();
        }

        var errors = new Validator();
        var conversation = new Conversation
        {
            TenantId = tenant.TenantId!.Value,
            WorkSessionId = sessionId,
            ParentId = input.ParentId,
            Title = WorkInput.Optional(errors, "title", input.Title, 500),
            Summary = WorkInput.LongText(errors, "summary", input.Summary),
            ExternalId = WorkInput.Optional(errors, "external_id", input.ExternalId),
        };
        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        if (input.ParentId is { } parent && !await db.Set<Conversation>().AnyAsync(c => c.Id == parent && c.WorkSessionId == sessionId, ct))
        {
            return WorkAnswers.ConversationNotFound();
        }

        if (conversation.ExternalId is { } external && await db.Set<Conversation>().AnyAsync(c => c.WorkSessionId == sessionId && c.ExternalId == external, ct))
        {
            return Answers.Taken(ProblemCodes.ExternalIdTaken, "external_id", "conversation");
        }

        db.Add(conversation);
        await db.SaveChangesAsync(ct);
        var response = conversation.ToResponse();
        await db.RaiseAsync(DevContextEvents.ConversationCreated, response, ct);
        return response;
    }

    /// <summary>The session's conversations, oldest first; null when no such session is visible.</summary>
    public async Task<List<ConversationResponse>?> ConversationsAsync(Guid sessionId, CancellationToken ct)
    {
        if (!await db.Set<WorkSession>().AnyAsync(s => s.Id == sessionId, ct))
        {
            return null;
        }

        return [.. (await db.Set<Conversation>().AsNoTracking().Where(c => c.WorkSessionId == sessionId).OrderBy(c => c.CreatedAt).ThenBy(c => c.Id)
            .ToListAsync(ct)).Select(c => c.ToResponse())];
    }
}

internal static class WorkAnswers
{
    public static Refusal SessionNotFound() => Refusal.NotFound(ProblemCodes.WorkSessionNotFound, "The work session");

    public static Refusal ConversationNotFound() => Refusal.NotFound(ProblemCodes.ConversationNotFound, "The conversation");

    public static Refusal ContentNotFound() => Refusal.NotFound(ProblemCodes.ContentNotFound, "The content");
}

internal static class WorkSessionMapping
{
    public static WorkSessionResponse ToResponse(this WorkSession s) => new(
        s.Id, s.UserId, s.ProjectId, s.RepositoryId, s.Branch, s.Tool, s.Model, s.WorkingDirectory, s.Title, s.StartedAt, s.EndedAt,
        s.EndedAt is { } end ? (long)(end - s.StartedAt).TotalSeconds : null, WorkInput.ReadList(s.Tags), s.ExternalId, s.MessageCount,
        s.CreatedAt, s.UpdatedAt);

    public static ConversationResponse ToResponse(this Conversation c) =>
        new(c.Id, c.WorkSessionId, c.ParentId, c.Title, c.Summary, c.ExternalId, c.MessageCount, c.CreatedAt);

    public static MessageResponse ToResponse(this Message m, MessageContent content)
    {
        var blocks = ContentHash.Parse(content.Blocks);
        return new MessageResponse(m.Id, m.WorkSessionId, m.ConversationId, m.Position, m.Role, m.CreatedAt, m.Model,
            new TokenUsage(m.InputTokens, m.OutputTokens, m.CacheReadTokens, m.CacheWriteTokens), m.ExternalId, m.ParentId, content.Hash,
            Search.SearchText.Display(blocks, BlockTypes.Text), [.. blocks.Select(b => b.ToWire())]);
    }

    public static string Json(IReadOnlyList<string> list) => JsonSerializer.Serialize(list);
}

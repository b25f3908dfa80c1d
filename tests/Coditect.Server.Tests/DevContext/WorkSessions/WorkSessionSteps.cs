using System.Net;
using Coditect.Contracts.DevContext;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.DevContext.WorkSessions;

/// <summary>The calls work-session tests make over and over.</summary>
public static class WorkSessionSteps
{
    public static async Task<WorkSessionResponse> CreateWorkSessionAsync(this Caller caller, Guid? projectId = null, string? externalId = null,
        string tool = "claude-code", DateTime? startedAt = null, DateTime? endedAt = null)
    {
        var response = await caller.Client.PostAsync($"{caller.OrgPath}/work-sessions",
            new CreateWorkSessionRequest(tool, projectId, Model: "claude-sonnet-4", Branch: "main", Title: "Work", ExternalId: externalId,
                StartedAt: startedAt, EndedAt: endedAt, Tags: ["t1"]));
        return await response.ReadAsync<WorkSessionResponse>(HttpStatusCode.Created);
    }

    public static Task<HttpResponseMessage> AppendAsync(this Caller caller, Guid sessionId, params MessageInput[] messages) =>
        caller.Client.PostAsync($"{caller.OrgPath}/work-sessions/{sessionId}/messages", new MessageBatchRequest(messages));

    public static async Task<MessageBatchResponse> AppendOkAsync(this Caller caller, Guid sessionId, params MessageInput[] messages) =>
        await (await caller.AppendAsync(sessionId, messages)).ReadAsync<MessageBatchResponse>(HttpStatusCode.OK);

    public static MessageInput Say(string text, string role = "user", string? externalId = null, string? model = null, TokenUsage? usage = null) =>
        new(role, Text: text, ExternalId: externalId, Model: model, Usage: usage);

    public static async Task<SearchResponse> SearchAsync(this Caller caller, string query, string extra = "") =>
        await caller.Client.GetJsonAsync<SearchResponse>($"{caller.OrgPath}/messages/search?q={Uri.EscapeDataString(query)}{extra}");
}

using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Coditect.Server.Tests.Infrastructure;

/// <summary>A webhook request as it arrived: its headers (<see cref="Sequence"/>: null without a webhook-sequence) and its exact body.</summary>
public sealed record ReceivedWebhook(string Id, long Timestamp, string Signature, string Body, string ContentType, string? Sequence = null)
{
    public System.Text.Json.JsonElement Json => System.Text.Json.JsonDocument.Parse(Body).RootElement;

    public string Type => Json.GetProperty("type").GetString()!;
}

/// <summary>
/// A real HTTP receiver on a loopback port (Kestrel), as an integrator's endpoint: it records every request and
/// answers with <see cref="Status"/> (200 by default; set 500 to make it fail, back to 200 to recover).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    public int Status { get; set; } = StatusCodes.Status200OK;

    /// <summary>When set, the status to answer the request that arrived <c>n</c>th (from 1), awaited: a test can hold one.</summary>
    public Func<int, Task<int>>? Answer { get; set; }

    public string Url => _app.Urls.First() + "/hooks";

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hooks", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            receiver.Received.Enqueue(new ReceivedWebhook(
                request.Headers["webhook-id"].ToString(),
                long.TryParse(request.Headers["webhook-timestamp"], out var timestamp) ? timestamp : 0,
                request.Headers["webhook-signature"].ToString(),
                body,
                request.ContentType ?? "",
                request.Headers.TryGetValue("webhook-sequence", out var sequence) ? sequence.ToString() : null));
            var status = receiver.Answer is { } answer ? await answer(receiver.Received.Count) : receiver.Status;
            return Results.Text(status < 300 ? "thanks" : "down for maintenance", statusCode: status);
        });
        await app.StartAsync();
        return receiver;
    }

    public IReadOnlyList<ReceivedWebhook> OfType(string type) => [.. Received.Where(r => r.Type == type)];

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

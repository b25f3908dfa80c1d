using System.Collections.Concurrent;

namespace Coditect.Server.Tests.Infrastructure;

/// <summary>
/// A server-sent event stream read as EventSource reads it: every event dispatched (with its name and when it
/// arrived) and every other line kept, until the stream ends or the test disposes it (the browser leaving).
/// </summary>
public sealed class EventStream : IAsyncDisposable
{
    private readonly CancellationTokenSource _leaving;
    private readonly Task _reading;

    private EventStream(HttpResponseMessage response, CancellationTokenSource leaving)
    {
        Response = response;
        _leaving = leaving;
        _reading = response.IsSuccessStatusCode ? Task.Run(ReadAsync) : Task.CompletedTask;
    }

    public HttpResponseMessage Response { get; }

    /// <summary>Completes when the server ends the stream (or the test leaves it).</summary>
    public Task Ended => _reading;

    public ConcurrentQueue<ServerEvent> Events { get; } = new();

    /// <summary>Every line that is not part of an event: <c>retry:</c>, comments, and an <c>id:</c> block without data.</summary>
    public ConcurrentQueue<string> OtherLines { get; } = new();

    public static async Task<EventStream> OpenAsync(HttpClient http, string path, string? lastEventId = null)
    {
        var leaving = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, leaving.Token);
        return new EventStream(response, leaving);
    }

    public int Count(string name) => Events.Count(e => e.Name == name);

    public Task ShouldGetAsync(string name, int count, TimeSpan within, string what) =>
        Eventually.ShouldHoldAsync(() => Count(name) >= count, within, $"{what} ({count} '{name}' event(s), got {Count(name)})");

    private async Task ReadAsync()
    {
        try
        {
            await using var body = await Response.Content.ReadAsStreamAsync(_leaving.Token);
            using var reader = new StreamReader(body);
            string? name = null;
            var data = false;
            while (await reader.ReadLineAsync(_leaving.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data)
                    {
                        Events.Enqueue(new ServerEvent(name ?? "message", DateTime.UtcNow));
                    }

                    (name, data) = (null, false);
                }
                else if (line.StartsWith("event:", StringComparison.Ordinal))
                {
                    name = line["event:".Length..].Trim();
                }
                else if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    data = true;
                }
                else
                {
                    OtherLines.Enqueue(line);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _leaving.CancelAsync();
        await _reading;
        Response.Dispose();
        _leaving.Dispose();
    }

    public sealed record ServerEvent(string Name, DateTime At);
}

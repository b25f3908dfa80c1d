using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Coditect.Bench;

/// <summary>
/// The receiver of bench/webhooks.sh: <c>Coditect.Bench webhook-receiver --port P --secret whsec_... --expect N
/// [--timeout S]</c>. Kestrel on 127.0.0.1, POST anywhere; it verifies each signature (Standard Webhooks, as
/// docs/webhooks.md documents it), answers 200, and records per distinct <c>webhook-id</c> the latency from the event
/// (the body's <c>timestamp</c>, when the event was raised) to its arrival. When N distinct ids have arrived (or after
/// the timeout) it prints one JSON object to stdout and exits: distinct, duplicates, refused, first event, last arrival,
/// deliveries per second between them, and the latency percentiles.
/// </summary>
internal static class WebhookReceiver
{
    public static async Task<int> RunAsync(string[] args)
    {
        int port = 0, expect = 0, timeout = 600;
        string? secret = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--port": port = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--expect": expect = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--timeout": timeout = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--secret": secret = args[i + 1]; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        if (port == 0 || expect == 0 || secret is null)
        {
            Console.Error.WriteLine("usage: Coditect.Bench webhook-receiver --port P --secret whsec_... --expect N [--timeout S]");
            return 2;
        }

        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var arrivals = new ConcurrentDictionary<string, (DateTime Event, DateTime Arrival)>(StringComparer.Ordinal);
        var duplicates = 0;
        var refused = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.MapPost("/{**path}", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var arrived = DateTime.UtcNow;
            var id = request.Headers["webhook-id"].ToString();
            var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{request.Headers["webhook-timestamp"]}.{body}")));
            if (!request.Headers["webhook-signature"].ToString().Split(' ').Contains(expected))
            {
                Interlocked.Increment(ref refused);
                return Results.StatusCode(StatusCodes.Status400BadRequest);
            }

            using var json = JsonDocument.Parse(body);
            var raised = json.RootElement.GetProperty("timestamp").GetDateTime().ToUniversalTime();
            if (!arrivals.TryAdd(id, (raised, arrived)))
            {
                Interlocked.Increment(ref duplicates);
            }
            else if (arrivals.Count >= expect)
            {
                done.TrySetResult();
            }

            return Results.Ok();
        });
        await app.StartAsync();
        Console.Error.WriteLine($"[receiver] listening on 127.0.0.1:{port}, expecting {expect}");
        await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(timeout)));

        var all = arrivals.Values.ToList();
        var latencies = all.Select(a => (a.Arrival - a.Event).TotalMilliseconds).Order().ToList();
        var first = all.Count == 0 ? DateTime.MinValue : all.Min(a => a.Event);
        var last = all.Count == 0 ? DateTime.MinValue : all.Max(a => a.Arrival);
        var seconds = (last - first).TotalSeconds;
        var result = new
        {
            expected = expect,
            distinct = all.Count,
            duplicates,
            refused,
            first_event = first,
            last_arrival = last,
            seconds = Math.Round(seconds, 3),
            per_second = seconds > 0 ? Math.Round(all.Count / seconds, 1) : 0,
            p50_ms = Math.Round(Percentile(latencies, 50), 1),
            p99_ms = Math.Round(Percentile(latencies, 99), 1),
            max_ms = latencies.Count == 0 ? 0 : Math.Round(latencies[^1], 1),
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return all.Count >= expect && refused == 0 ? 0 : 1;
    }

    private static double Percentile(List<double> sorted, double percentile) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
}

using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Coditect.Server.FaultTests.Infrastructure;

/// <summary>
/// An integrator's webhook receiver on a loopback port (Kestrel), one path per endpoint (<c>/hooks/{name}</c>). It checks
/// every request's signature with the documented algorithm (docs/webhooks.md, written from the spec, not with the
/// server's code) against the endpoint's secret, and records each <c>webhook-id</c> it accepted with the time of each
/// arrival. An endpoint may be told to fail (503) its first requests, as a receiver that is down for a while.
/// </summary>
public sealed class SigningReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Endpoint> _endpoints = new(StringComparer.Ordinal);
    private int _refused;

    private SigningReceiver(WebApplication app) => _app = app;

    /// <summary>Requests whose signature did not verify, or that came for an unknown endpoint (answered 400).</summary>
    public int Refused => _refused;

    public static async Task<SigningReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new SigningReceiver(app);
        app.MapPost("/hooks/{name}", receiver.ReceiveAsync);
        await app.StartAsync();
        return receiver;
    }

    public string UrlOf(string name) => $"{_app.Urls.First()}/hooks/{name}";

    /// <summary>Accepts requests for <paramref name="name"/> signed with <paramref name="secret"/>; fails the first <paramref name="failFirst"/> with 503.</summary>
    public void Expect(string name, string secret, int failFirst = 0) =>
        _endpoints[name] = new Endpoint(Convert.FromBase64String(secret["whsec_".Length..]), failFirst);

    /// <summary>Each accepted <c>webhook-id</c> of the endpoint with the arrival time of every copy (UTC, oldest first).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<DateTime>> Accepted(string name) =>
        _endpoints[name].Arrivals.ToDictionary(a => a.Key, a => (IReadOnlyList<DateTime>)[.. a.Value.Order()], StringComparer.Ordinal);

    /// <summary>The distinct ids accepted across every endpoint.</summary>
    public int DistinctAccepted => _endpoints.Values.Sum(e => e.Arrivals.Count);

    /// <summary>How many requests the endpoint answered 503.</summary>
    public int Failed(string name) => _endpoints[name].Failed;

    private async Task<IResult> ReceiveAsync(string name, HttpRequest request)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var id = request.Headers["webhook-id"].ToString();
        var timestamp = request.Headers["webhook-timestamp"].ToString();
        if (!_endpoints.TryGetValue(name, out var endpoint) || !SignedWith(endpoint.Key, id, timestamp, body, request.Headers["webhook-signature"].ToString()))
        {
            Interlocked.Increment(ref _refused);
            return Results.Text("bad signature", statusCode: StatusCodes.Status400BadRequest);
        }

        if (Interlocked.Decrement(ref endpoint.FailuresLeft) >= 0)
        {
            Interlocked.Increment(ref endpoint.Failed);
            return Results.Text("down for maintenance", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        endpoint.Arrivals.GetOrAdd(id, _ => new ConcurrentBag<DateTime>()).Add(DateTime.UtcNow);
        return Results.Text("thanks");
    }

    /// <summary>
    /// docs/webhooks.md: <c>v1,</c> + base64 HMAC-SHA256, keyed with the bytes after <c>whsec_</c>, of
    /// <c>{webhook-id}.{webhook-timestamp}.{body}</c>; the header may carry several, space-separated.
    /// </summary>
    private static bool SignedWith(byte[] key, string id, string timestamp, string body, string header)
    {
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));
        return id.Length > 0 && long.TryParse(timestamp, out _) && header.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(expected);
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private sealed class Endpoint(byte[] key, int failFirst)
    {
        public byte[] Key { get; } = key;

        public ConcurrentDictionary<string, ConcurrentBag<DateTime>> Arrivals { get; } = new(StringComparer.Ordinal);

        public int FailuresLeft = failFirst;

        public int Failed;
    }
}

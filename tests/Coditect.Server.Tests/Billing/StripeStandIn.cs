using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Coditect.Server.Tests.Billing;

/// <summary>A request Stripe.net sent: its path, form-encoded parameters and idempotency key.</summary>
public sealed record StripeRequest(string Method, string Path, IReadOnlyDictionary<string, string> Form, string? IdempotencyKey, string? Authorization);

/// <summary>
/// Stripe's API as far as checkout needs it, on a loopback port (Kestrel): customers, checkout sessions and portal
/// sessions, answered as Stripe answers (JSON objects with ids), every request recorded. Stripe itself is not
/// reachable from here; <c>Billing:Stripe:ApiBase</c> points the server at this.
/// </summary>
public sealed class StripeStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _n;

    private StripeStandIn(WebApplication app) => _app = app;

    public ConcurrentQueue<StripeRequest> Requests { get; } = new();

    /// <summary>While true, meter events are answered 503 (Stripe unreachable) and not recorded.</summary>
    public bool MeterEventsDown { get => _down; set => _down = value; }

    private volatile bool _down;

    private int _refused;

    /// <summary>Meter event calls answered 503.</summary>
    public int MeterEventsRefused => Volatile.Read(ref _refused);

    public string BaseUrl => _app.Urls.First();

    public static StripeStandIn Start()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new StripeStandIn(app);
        app.MapPost("/v1/customers", async (HttpRequest r) => await standIn.RecordAsync(r, "customer", n => new { id = $"cus_standin{n}", @object = "customer" }));
        app.MapPost("/v1/checkout/sessions", async (HttpRequest r) => await standIn.RecordAsync(r, "checkout.session",
            n => new { id = $"cs_test_{n}", @object = "checkout.session", mode = "subscription", url = $"https://checkout.stripe.com/c/pay/cs_test_{n}" }));
        app.MapPost("/v1/billing_portal/sessions", async (HttpRequest r) => await standIn.RecordAsync(r, "billing_portal.session",
            n => new { id = $"bps_{n}", @object = "billing_portal.session", url = $"https://billing.stripe.com/p/session/{n}" }));
        app.MapPost("/v1/subscriptions/{id}", async (HttpRequest r, string id) => await standIn.RecordAsync(r, "subscription",
            _ => new { id, @object = "subscription", status = "active", cancel_at_period_end = true }));
        app.MapPost("/v1/billing/meter_events", async (HttpRequest r) =>
        {
            if (standIn.MeterEventsDown)
            {
                Interlocked.Increment(ref standIn._refused);
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }

            return await standIn.RecordAsync(r, "billing.meter_event", _ => new { @object = "billing.meter_event", livemode = false });
        });
        app.StartAsync().GetAwaiter().GetResult();
        return standIn;
    }

    public IReadOnlyList<StripeRequest> To(string path) => [.. Requests.Where(r => r.Path == path)];

    private async Task<IResult> RecordAsync(HttpRequest request, string _, Func<int, object> answer)
    {
        var form = await request.ReadFormAsync();
        Requests.Enqueue(new StripeRequest(request.Method, request.Path, form.ToDictionary(f => f.Key, f => f.Value.ToString()),
            request.Headers["Idempotency-Key"].FirstOrDefault(), request.Headers.Authorization.FirstOrDefault()));
        return Results.Json(answer(Interlocked.Increment(ref _n)));
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

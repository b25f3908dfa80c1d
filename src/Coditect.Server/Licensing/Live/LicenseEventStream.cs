using System.Threading.Channels;
using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.Tenancy;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Licensing.Live;

/// <summary>
/// <c>GET /orgs/{org}/licenses/{id}/events</c>: server-sent events for the console's licence page, which reloads its
/// sessions on each <c>changed</c> (wwwroot/console/app.js, <c>connectLive</c>). A console route, so the console
/// cookie authenticates it and the same permission policy as the page guards it; a licence of another organization
/// is 404. The licence check is the stream's only database work: its transaction is committed before the first byte,
/// so an open stream holds no transaction and no connection.
/// </summary>
public static class LicenseEventStream
{
    /// <summary>A comment this often keeps proxies and load balancers from closing a quiet stream.</summary>
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>How long the browser waits before reconnecting, told in the stream (EventSource's <c>retry</c>).</summary>
    public const int RetryMilliseconds = 2000;

    public static void MapLicenseLive(this IEndpointRouteBuilder app) =>
        app.MapGet("/orgs/{org}/licenses/{id:guid}/events", StreamAsync)
            .RequirePermission(Permission.ReadLicenses)
            .ExcludeFromDescription(); // a console route, not part of the API

    private static async Task StreamAsync(
        Guid id, HttpContext http, CoditectDbContext db, TenantScope tenancy, LicenseWatch watch, LiveStreams streams, IHostApplicationLifetime lifetime)
    {
        if (!streams.TryOpen())
        {
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            http.Response.Headers.RetryAfter = "10";
            return;
        }

        try
        {
            // The permission check entered the organization in a transaction: the licence is looked for as its tenant.
            if (!await db.Set<License>().AnyAsync(l => l.Id == id, http.RequestAborted))
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            await tenancy.CommitAsync(http.RequestAborted);
            using var ending = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
            try
            {
                await WriteEventsAsync(http, watch.Watch(id, ending.Token), ending.Token);
            }
            finally
            {
                await ending.CancelAsync(); // the watch ends with the stream, however the stream ended
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested || lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // the browser left, or the node stops: the browser reconnects (to another node) after the retry delay
        }
        finally
        {
            streams.Close();
        }
    }

    private static async Task WriteEventsAsync(HttpContext http, ChannelReader<Guid> changes, CancellationToken ct)
    {
        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // nginx and the like pass each event on at once
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        // Every event has an id, the first block included, so a reconnecting browser says so (Last-Event-ID): it may
        // have missed a change while away, and is told to refresh at once.
        var sent = 0;
        var reconnected = http.Request.Headers.ContainsKey("Last-Event-ID");
        await WriteAsync(response, $"retry: {RetryMilliseconds}\nid: 0\n\n", ct);
        if (reconnected)
        {
            await WriteAsync(response, Changed(++sent), ct);
        }

        using var keepAlive = new PeriodicTimer(KeepAlive);
        var change = changes.WaitToReadAsync(ct).AsTask();
        var tick = keepAlive.WaitForNextTickAsync(ct).AsTask();
        while (true)
        {
            if (await Task.WhenAny(change, tick) == change)
            {
                if (!await change)
                {
                    return; // the watch ended
                }

                changes.TryRead(out _);
                await WriteAsync(response, Changed(++sent), ct);
                change = changes.WaitToReadAsync(ct).AsTask();
            }
            else
            {
                if (!await tick)
                {
                    return;
                }

                await WriteAsync(response, ": keep-alive\n\n", ct);
                tick = keepAlive.WaitForNextTickAsync(ct).AsTask();
            }
        }
    }

    /// <summary>An event named <c>changed</c>; its data is empty, but present, or EventSource would not dispatch it.</summary>
    private static string Changed(int id) => $"id: {id}\nevent: changed\ndata:\n\n";

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken ct)
    {
        await response.WriteAsync(text, ct);
        await response.Body.FlushAsync(ct);
    }
}

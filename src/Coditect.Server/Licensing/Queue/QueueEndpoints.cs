using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Licensing.Live;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coditect.Server.Licensing.Queue;

/// <summary>
/// The queue half of the lease protocol: <c>GET /api/v1/licenses/queue/{ticket}</c> (a poll, <c>?wait=</c> a long poll,
/// or <c>Accept: text/event-stream</c>) and <c>DELETE</c> (leave). The ticket is the credential; each poll extends its
/// life. Joining and claiming are acquires (<see cref="Protocol.LeaseEndpoints"/>).
/// </summary>
public static class QueueEndpoints
{
    /// <summary>The longest long poll, in seconds.</summary>
    public const int MaxWaitSeconds = 60;

    private static readonly TimeSpan PollEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan KeepAliveEvery = TimeSpan.FromSeconds(15);
    private static readonly JsonSerializerOptions Wire = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = PlatformExtensions.WireNaming };

    public static void MapSeatQueue(this IEndpointRouteBuilder app)
    {
        var queue = app.MapGroup("/api/v1/licenses/queue").WithTags("Lease protocol");
        queue.MapGet("/{ticket}", Poll).WithName("pollQueueTicket")
            .WithSummary("A queue ticket's state and place; ?wait= long-polls, Accept: text/event-stream streams")
            .Produces<QueueTicketResponse>()
            .WithQuery(new QueryParameter("wait", "Long poll: answer once the ticket is offered, moves up or lapses, or after this many seconds.")
            {
                Type = Microsoft.OpenApi.JsonSchemaType.Integer, Format = "int32", Minimum = 0, Maximum = MaxWaitSeconds, Default = 0,
            })
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.QueueTicketNotFound);
        queue.MapDelete("/{ticket}", Leave).WithName("leaveQueue").WithSummary("Leave the queue (an offered seat is given back)")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.QueueTicketNotFound);
    }

    public static QueueTicketResponse ToResponse(this QueueView view, string ticket) => new(
        ticket, view.Ticket.State.ToString().ToLowerInvariant(), view.Position, view.EstimatedWaitSeconds, view.Ticket.ExpiresAt,
        view.Ticket.State == QueueTicketState.Offered ? view.Ticket.OfferExpiresAt : null);

    public static ProblemHttpResult NotFound() => Problems.NotFound(ProblemCodes.QueueTicketNotFound, "The queue ticket");

    private static async Task<IResult> Poll(string ticket, SeatQueue queue, HttpContext http, CancellationToken ct)
    {
        var waitText = http.Request.Query["wait"].ToString();
        int? wait = waitText.Length == 0 ? 0 : int.TryParse(waitText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) ? seconds : null;
        if (wait is null or < 0 or > MaxWaitSeconds)
        {
            return Problems.Validation("wait", $"must be between 0 and {MaxWaitSeconds} seconds.");
        }

        if (!SeatQueue.IsWellFormed(ticket))
        {
            return NotFound();
        }

        var hash = SeatQueue.Hash(ticket);
        if (await http.LimitLeaseCallAsync(hash, null) is { } limited)
        {
            return limited;
        }

        var view = await queue.PollAsync(hash, queue.Now(), ct);
        if (view is null)
        {
            return NotFound();
        }

        if (http.Request.Headers.Accept.Any(a => a?.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase) == true))
        {
            await StreamAsync(http, queue, hash, ticket, view, ct);
            return Results.Empty;
        }

        // A long poll answers as soon as the ticket is offered, moves up or lapses; each round extends its life.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(wait ?? 0);
        var first = view;
        while (view is { Ticket.State: QueueTicketState.Waiting } && view.Position == first.Position && DateTime.UtcNow + PollEvery <= deadline)
        {
            await Task.Delay(PollEvery, ct);
            view = await queue.PollAsync(hash, queue.Now(), ct);
        }

        return view is null ? NotFound() : TypedResults.Ok(view.ToResponse(ticket));
    }

    private static async Task StreamAsync(HttpContext http, SeatQueue queue, string hash, string ticket, QueueView? view, CancellationToken ct)
    {
        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-store";
        var sent = 0;
        var lastWrite = DateTime.UtcNow;
        QueueTicketResponse? last = null;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var now = view?.ToResponse(ticket);
                if (now is null)
                {
                    await response.WriteAsync($"event: gone\nid: {++sent}\ndata: {{}}\n\n", ct);
                    return;
                }

                if (last is null || now with { ExpiresAt = last.ExpiresAt } != last)
                {
                    await response.WriteAsync($"event: ticket\nid: {++sent}\ndata: {JsonSerializer.Serialize(now, Wire)}\n\n", ct);
                    await response.Body.FlushAsync(ct);
                    last = now;
                    lastWrite = DateTime.UtcNow;
                }
                else if (DateTime.UtcNow - lastWrite >= KeepAliveEvery)
                {
                    await response.WriteAsync(": keep-alive\n\n", ct);
                    await response.Body.FlushAsync(ct);
                    lastWrite = DateTime.UtcNow;
                }

                if (now.State is QueueStates.Claimed or QueueStates.Lapsed)
                {
                    return;
                }

                await Task.Delay(PollEvery, ct);
                view = await queue.PollAsync(hash, queue.Now(), ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the holder went away; the ticket lapses unless it polls again
        }
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Leave(
        string ticket, SeatQueue queue, QueueOfferer offerer, LicenseWatch watch, HttpContext http, CancellationToken ct)
    {
        if (!SeatQueue.IsWellFormed(ticket))
        {
            return NotFound();
        }

        var hash = SeatQueue.Hash(ticket);
        if (await http.LimitLeaseCallAsync(hash, null) is { } limited)
        {
            return limited;
        }

        var left = await queue.LeaveAsync(hash, queue.Now(), ct);
        if (left is not { } licenseId)
        {
            return NotFound();
        }

        offerer.Poke(licenseId);
        watch.Changed(licenseId);
        return TypedResults.NoContent();
    }
}

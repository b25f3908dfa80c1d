using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Coditect.Contracts.Licensing;

namespace Coditect.Client;

/// <summary>The seat queue: waiting in line for a seat instead of retrying (docs/licensing.md, "Waiting for a seat").</summary>
public sealed partial class LicenseClient
{
    /// <summary>How long one long poll of a queue ticket waits on the server.</summary>
    private const int LongPollSeconds = 30;

    /// <summary>
    /// Takes a seat for <paramref name="hardwareId"/>, waiting in the licence's queue when every seat is held: the server
    /// hands out a ticket, this call long-polls it (which keeps it alive) and claims the seat the moment it is offered. The
    /// wait is first come, first served. Cancelling <paramref name="ct"/> leaves the queue (the ticket is deleted, and a
    /// seat offered to it goes to the next machine). A ticket that lapsed (the server was unreachable for longer than its
    /// TTL) joins the queue again, at its end.
    /// </summary>
    /// <param name="hardwareId">This machine's id, usually <see cref="HardwareId.Default"/>.</param>
    /// <param name="options">What to tell the server about this user and application; optional.</param>
    /// <param name="progress">Told the ticket's state and place after each poll; optional.</param>
    /// <param name="ct">Cancels the wait and leaves the queue.</param>
    /// <returns>The held lease.</returns>
    /// <exception cref="LicenseNotFoundException">No licence has this key.</exception>
    /// <exception cref="LicenseSuspendedException">The licence is suspended.</exception>
    /// <exception cref="LicenseExpiredException">The licence has expired.</exception>
    /// <exception cref="CoditectUnavailableException">The server could not be reached after the retries.</exception>
    public async Task<Lease> AcquireWaitingAsync(
        string hardwareId, AcquireOptions? options = null, IProgress<QueueTicketResponse>? progress = null, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(hardwareId))
        {
            throw new ArgumentException("A hardware id is required; HardwareId.Default() gives this machine's.", nameof(hardwareId));
        }

        options ??= new AcquireOptions();
        var client = options.Hostname is null && options.AppVersion is null && options.Os is null
            ? null
            : new ClientInfo(options.Hostname, options.AppVersion, options.Os);
        while (true)
        {
            var join = new AcquireRequest(LicenseKey, hardwareId, options.UserEmail, client, Wait: true);
            var (lease, ticket) = await WithRetriesAsync(attemptCt => PostAcquireAsync(join, attemptCt), ct).ConfigureAwait(false);
            if (lease is not null)
            {
                return new Lease(this, hardwareId, lease);
            }

            try
            {
                var state = ticket!;
                progress?.Report(state);
                while (state.State == QueueStates.Waiting)
                {
                    var path = $"api/v1/licenses/queue/{Uri.EscapeDataString(state.Ticket)}?wait={LongPollSeconds}";
                    state = await WithRetriesAsync(attemptCt => SendAsync<QueueTicketResponse>(HttpMethod.Get, path, null,
                        Options.RequestTimeout + TimeSpan.FromSeconds(LongPollSeconds), attemptCt), ct).ConfigureAwait(false);
                    progress?.Report(state);
                }

                if (state.State == QueueStates.Offered)
                {
                    var claim = new AcquireRequest(LicenseKey, hardwareId, options.UserEmail, client, Ticket: state.Ticket);
                    var (claimed, _) = await WithRetriesAsync(attemptCt => PostAcquireAsync(claim, attemptCt), ct).ConfigureAwait(false);
                    return new Lease(this, hardwareId, claimed!);
                }

                // lapsed (or claimed by an earlier attempt that did not hear the answer): join again
            }
            catch (QueueTicketLapsedException)
            {
                // the offer passed before the claim reached the server: join again
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await LeaveQueueAsync(ticket!.Ticket).ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>Leaves the queue, best effort (the ticket lapses on its own without polls).</summary>
    private async Task LeaveQueueAsync(string ticket)
    {
        try
        {
            await SendAsync<object?>(HttpMethod.Delete, $"api/v1/licenses/queue/{Uri.EscapeDataString(ticket)}", null, Options.RequestTimeout,
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (CoditectException)
        {
            // gone already, or unreachable: it lapses by itself
        }
    }

    /// <summary>An acquire that may answer a lease (200, 201) or a ticket (202).</summary>
    private async Task<(AcquireResponse? Lease, QueueTicketResponse? Ticket)> PostAcquireAsync(AcquireRequest body, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Options.RequestTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(ServerUri, "api/v1/licenses/acquire")) { Content = Wire.Body(body) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        HttpResponseMessage response;
        try
        {
            response = await Wire.SendRawAsync(_http, request, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new CoditectUnavailableException(CoditectUnavailableException.Unreachable, 0,
                $"The server at {ServerUri.GetLeftPart(UriPartial.Authority)} did not answer in time.", e);
        }

        using (response)
        {
            var text = await Wire.ReadAsync(response).ConfigureAwait(false);
            try
            {
                return response.StatusCode == HttpStatusCode.Accepted
                    ? (null, JsonSerializer.Deserialize<QueueTicketResponse>(text, Wire.Json) ?? throw new JsonException("null"))
                    : (JsonSerializer.Deserialize<AcquireResponse>(text, Wire.Json) ?? throw new JsonException("null"), null);
            }
            catch (JsonException e)
            {
                throw new CoditectException("UNEXPECTED_RESPONSE", (int)response.StatusCode, $"The server's answer to acquire could not be read: {e.Message}", e);
            }
        }
    }
}

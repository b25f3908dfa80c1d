using System.Net;
using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Licensing;
using Coditect.Server.Licensing.Ledger;
using Coditect.Server.Licensing.Queue;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Licensing;

/// <summary>The fair seat queue (docs/licensing.md, "Waiting for a seat"), on each backend.</summary>
public abstract class SeatQueueTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task Waiters_get_tickets_in_order_and_a_freed_seat_goes_to_the_head_alone()
    {
        var (key, _) = await LicenseAsync(seats: 1);
        var holder = await _anonymous.AcquireSeatAsync(key, "machine-a");

        var first = await WaitAsync(key, "machine-b");
        var second = await WaitAsync(key, "machine-c");
        first.State.ShouldBe(QueueStates.Waiting);
        first.Position.ShouldBe(1);
        second.Position.ShouldBe(2);
        second.EstimatedWaitSeconds.ShouldBeGreaterThan(0);
        first.Ticket.ShouldNotBe(second.Ticket);
        first.Ticket.Length.ShouldBe(25);

        // Nobody jumps the queue: a plain acquire is told how long it is.
        var jump = await (await _anonymous.AcquireAsync(key, "machine-d")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);
        jump.GetProperty("queue_length").GetInt32().ShouldBe(2);

        (await _anonymous.ReleaseAsync(key, holder.SessionId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var offered = await OfferedAsync(first.Ticket);
        offered.State.ShouldBe(QueueStates.Offered);
        offered.OfferExpiresAt.ShouldNotBeNull();
        offered.OfferExpiresAt!.Value.ShouldBe(app.Clock.GetUtcNow().UtcDateTime + TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));
        (await PollAsync(second.Ticket)).Position.ShouldBe(1);

        // The offered seat is held for the head alone: not for a plain acquire, not for the next ticket.
        await (await _anonymous.AcquireAsync(key, "machine-d")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);
        var early = await (await ClaimAsync(key, "machine-c", second.Ticket)).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.QueueTicketNotOffered);
        early.GetProperty("position").GetInt32().ShouldBe(1);

        var lease = await (await ClaimAsync(key, "machine-b", first.Ticket)).ReadAsync<AcquireResponse>(HttpStatusCode.Created);
        lease.SeatsUsed.ShouldBe(1);
        lease.ExpiresAt.ShouldBe(app.Clock.GetUtcNow().UtcDateTime + TimeSpan.FromSeconds(360), TimeSpan.FromSeconds(5));
        (await PollAsync(first.Ticket)).State.ShouldBe(QueueStates.Claimed);
        (await _anonymous.HeartbeatAsync(key, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await _anonymous.AcquireAsync(key, "machine-d")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);
    }

    [Fact]
    public async Task The_licence_and_its_console_page_show_the_queue_length()
    {
        var (key, license) = await LicenseAsync(seats: 1);
        await _anonymous.AcquireSeatAsync(key, "machine-a");
        await WaitAsync(key, "machine-b");
        await WaitAsync(key, "machine-c");
        var vendor = license.Vendor;

        (await vendor.Client.GetJsonAsync<LicenseResponse>($"{vendor.OrgPath}/licenses/{license.Id}")).QueueLength.ShouldBe(2);
        var page = await vendor.Client.GetJsonAsync<PagedList<LicenseResponse>>($"{vendor.OrgPath}/licenses");
        page.Items.Single(l => l.Id == license.Id).QueueLength.ShouldBe(2);

        // The live section's fragment carries the page's seat and queue figures out of band, so they move with it.
        var console = await app.SignInToConsoleAsync(vendor.Email, vendor.Password);
        var fragment = await console.GetStringAsync($"/orgs/{vendor.OrgSlug}/licenses/{license.Id}?handler=sessions");
        fragment.ShouldContain("""<div class="value" id="stat-queue" hx-swap-oob="true">2</div>""");
        fragment.ShouldContain("""<div class="value" id="stat-seats" hx-swap-oob="true">1 / 1</div>""");
        var full = await console.GetStringAsync($"/orgs/{vendor.OrgSlug}/licenses/{license.Id}");
        full.ShouldContain("""<div class="value" id="stat-queue">2</div>""");
        full.Split("id=\"stat-queue\"").Length.ShouldBe(2); // the page itself has each figure once
    }

    [Fact]
    public async Task An_unclaimed_offer_passes_to_the_next_ticket()
    {
        var (key, _) = await LicenseAsync(seats: 1);
        var holder = await _anonymous.AcquireSeatAsync(key, "machine-a");
        var first = await WaitAsync(key, "machine-b");
        var second = await WaitAsync(key, "machine-c");
        await _anonymous.ReleaseAsync(key, holder.SessionId);
        await OfferedAsync(first.Ticket);

        app.Clock.Advance(TimeSpan.FromSeconds(31));
        await OfferedAsync(second.Ticket); // (moving the clock may have run the queue job already: the same outcome)

        (await PollAsync(first.Ticket)).State.ShouldBe(QueueStates.Lapsed);
        await (await ClaimAsync(key, "machine-b", first.Ticket)).ShouldBeProblemAsync(HttpStatusCode.Gone, ProblemCodes.QueueTicketLapsed);
        (await ClaimAsync(key, "machine-c", second.Ticket)).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_ticket_lapses_without_polls_and_no_longer_holds_the_queue()
    {
        var (key, _) = await LicenseAsync(seats: 1);
        var holder = await _anonymous.AcquireSeatAsync(key, "machine-a");
        var waiting = await WaitAsync(key, "machine-b");
        waiting.ExpiresAt.ShouldBe(app.Clock.GetUtcNow().UtcDateTime + TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(5));

        app.Clock.Advance(TimeSpan.FromSeconds(61));
        (await PollAsync(waiting.Ticket)).State.ShouldBe(QueueStates.Lapsed);

        var full = await (await _anonymous.AcquireAsync(key, "machine-c")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);
        full.GetProperty("queue_length").GetInt32().ShouldBe(0);
        await _anonymous.ReleaseAsync(key, holder.SessionId);
        await OfferAsync();
        await _anonymous.AcquireSeatAsync(key, "machine-c");
    }

    [Fact]
    public async Task Polls_keep_a_ticket_alive_and_leaving_gives_an_offered_seat_to_the_next()
    {
        var (key, _) = await LicenseAsync(seats: 1);
        var holder = await _anonymous.AcquireSeatAsync(key, "machine-a");
        var first = await WaitAsync(key, "machine-b");
        var second = await WaitAsync(key, "machine-c");
        for (var i = 0; i < 3; i++)
        {
            app.Clock.Advance(TimeSpan.FromSeconds(40));
            await PollAsync(first.Ticket);
            await PollAsync(second.Ticket);
        }

        await _anonymous.ReleaseAsync(key, holder.SessionId);
        await OfferedAsync(first.Ticket);

        (await _anonymous.DeleteAsync($"/api/v1/licenses/queue/{first.Ticket}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await OfferedAsync(second.Ticket);

        await (await _anonymous.GetAsync($"/api/v1/licenses/queue/{first.Ticket}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.QueueTicketNotFound);
        (await ClaimAsync(key, "machine-c", second.Ticket)).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task More_seats_are_offered_to_the_queue()
    {
        var (key, license) = await LicenseAsync(seats: 1);
        await _anonymous.AcquireSeatAsync(key, "machine-a");
        var waiting = await WaitAsync(key, "machine-b");

        (await license.Vendor.Client.PatchAsync($"{license.Vendor.OrgPath}/licenses/{license.Id}", new { seats_total = 2 }))
            .StatusCode.ShouldBe(HttpStatusCode.OK);

        (await OfferedAsync(waiting.Ticket)).State.ShouldBe(QueueStates.Offered);
    }

    [Fact]
    public async Task A_machine_holding_a_seat_renews_it_whatever_the_queue()
    {
        var (key, _) = await LicenseAsync(seats: 1);
        var holder = await _anonymous.AcquireSeatAsync(key, "machine-a");
        await WaitAsync(key, "machine-b");

        var again = await (await _anonymous.AcquireAsync(key, "machine-a")).ReadAsync<AcquireResponse>(HttpStatusCode.OK);
        again.SessionId.ShouldBe(holder.SessionId);
    }

    [Fact]
    public async Task Unknown_tickets_are_404_and_a_ticket_is_claimed_only_with_its_key_and_machine()
    {
        var (key, _) = await LicenseAsync(seats: 1);
        var (otherKey, _) = await LicenseAsync(seats: 1);
        var holder = await _anonymous.AcquireSeatAsync(key, "machine-a");
        var waiting = await WaitAsync(key, "machine-b");
        await _anonymous.ReleaseAsync(key, holder.SessionId);
        await OfferedAsync(waiting.Ticket);

        var unknown = SeatQueue.NewTicket();
        await (await _anonymous.GetAsync($"/api/v1/licenses/queue/{unknown}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.QueueTicketNotFound);
        await (await _anonymous.GetAsync("/api/v1/licenses/queue/not-a-ticket")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.QueueTicketNotFound);
        await (await _anonymous.DeleteAsync($"/api/v1/licenses/queue/{unknown}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.QueueTicketNotFound);
        await (await ClaimAsync(key, "machine-b", unknown)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.QueueTicketNotFound);
        await (await ClaimAsync(key, "machine-x", waiting.Ticket)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.QueueTicketNotFound);
        await (await ClaimAsync(otherKey, "machine-b", waiting.Ticket)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.QueueTicketNotFound);

        (await ClaimAsync(key, "machine-b", waiting.Ticket)).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Malformed_queue_requests_are_400_with_the_field()
    {
        var (key, _) = await LicenseAsync(seats: 1);

        var badTicket = await (await ClaimAsync(key, "machine-a", "qt_short")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        badTicket.GetProperty("errors").TryGetProperty("ticket", out _).ShouldBeTrue();
        var both = await (await _anonymous.PostAsync("/api/v1/licenses/acquire", new AcquireRequest(key, "machine-a", Wait: true, Ticket: SeatQueue.NewTicket())))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        both.GetProperty("errors").TryGetProperty("wait", out _).ShouldBeTrue();
        var wait = await (await _anonymous.GetAsync($"/api/v1/licenses/queue/{SeatQueue.NewTicket()}?wait=61"))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        wait.GetProperty("errors").TryGetProperty("wait", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task A_free_seat_is_granted_at_once_even_with_wait()
    {
        var (key, _) = await LicenseAsync(seats: 1);

        var response = await _anonymous.PostAsync("/api/v1/licenses/acquire", new AcquireRequest(key, "machine-a", Wait: true));

        (await response.ReadAsync<AcquireResponse>(HttpStatusCode.Created)).SeatsUsed.ShouldBe(1);
    }

    [Fact]
    public async Task Usage_counts_denials_by_the_queue_and_grants_with_their_waits()
    {
        var (key, license) = await LicenseAsync(seats: 1);
        var holder = await _anonymous.AcquireSeatAsync(key, "machine-a");
        var waiting = await WaitAsync(key, "machine-b");
        await _anonymous.AcquireAsync(key, "machine-c");
        await _anonymous.AcquireAsync(key, "machine-d");
        app.Clock.Advance(TimeSpan.FromSeconds(20));
        await _anonymous.ReleaseAsync(key, holder.SessionId);
        await OfferedAsync(waiting.Ticket);
        (await ClaimAsync(key, "machine-b", waiting.Ticket)).StatusCode.ShouldBe(HttpStatusCode.Created);

        var usage = await license.Vendor.Client.GetJsonAsync<UsageResponse>($"{license.Vendor.OrgPath}/licenses/{license.Id}/usage");

        usage.Buckets.Sum(b => b.QueueDenials).ShouldBe(2);
        usage.Buckets.Sum(b => b.QueueGrants).ShouldBe(1);
        usage.Buckets.Sum(b => b.QueueWaitSeconds).ShouldBeInRange(20, 30);
    }

    [Fact]
    public async Task Two_nodes_offering_one_ticket_at_once_leave_it_the_seat()
    {
        var (key, _) = await LicenseAsync(seats: 1);
        var holder = await _anonymous.AcquireSeatAsync(key, "machine-a");
        var waiting = await WaitAsync(key, "machine-b");
        await using var scope = app.Services.CreateAsyncScope();
        var queue = scope.ServiceProvider.GetRequiredService<SeatQueue>();
        var ledger = scope.ServiceProvider.GetRequiredService<ISeatLedger>();
        var now = queue.Now();
        // Freed through the ledger: no release pokes this node's offerer, nothing offers but the steps below.
        (await ledger.ReleaseAsync(LicenseKeys.Hash(key), holder.SessionId, now, CancellationToken.None)).Outcome.ShouldBe(LeaseOutcome.Ok);
        var (ticket, keyHash) = (await queue.FindAsync(SeatQueue.Hash(waiting.Ticket), now, CancellationToken.None))!.Value;

        // The interleaving the fault test met (QueueTests): this node's offer takes the seat for machine-b, the other
        // node's renews that session and marks the ticket first; this node's mark then finds the ticket offered.
        AcquireCommand Offer() => new(keyHash, "machine-b", null, null, null, null, Guid.CreateVersion7(), now, now + TimeSpan.FromSeconds(30));
        var made = await ledger.AcquireAsync(Offer(), CancellationToken.None);
        var renewed = await ledger.AcquireAsync(Offer(), CancellationToken.None);
        made.Outcome.ShouldBe(AcquireOutcome.Acquired);
        renewed.Outcome.ShouldBe(AcquireOutcome.Renewed);
        renewed.SessionId.ShouldBe(made.SessionId);
        (await queue.MarkOfferedAsync(ticket, keyHash, renewed, ledger, CancellationToken.None)).ShouldBeTrue();
        (await queue.MarkOfferedAsync(ticket, keyHash, made, ledger, CancellationToken.None)).ShouldBeFalse();

        // The losing node gave back no seat: the ticket's seat is still held for it, and its claim is that session.
        (await _anonymous.ValidateAsync(key)).License!.SeatsUsed.ShouldBe(1);
        (await PollAsync(waiting.Ticket)).State.ShouldBe(QueueStates.Offered);
        var lease = await (await ClaimAsync(key, "machine-b", waiting.Ticket)).ReadAsync<AcquireResponse>(HttpStatusCode.Created);
        lease.SessionId.ShouldBe(made.SessionId!.Value);
    }

    [Fact]
    public async Task A_claimed_ticket_renews_its_lease_but_takes_no_seat_ahead_of_the_queue()
    {
        var (key, _) = await LicenseAsync(seats: 1);
        var holder = await _anonymous.AcquireSeatAsync(key, "machine-a");
        var first = await WaitAsync(key, "machine-b");
        await _anonymous.ReleaseAsync(key, holder.SessionId);
        await OfferedAsync(first.Ticket);
        var lease = await (await ClaimAsync(key, "machine-b", first.Ticket)).ReadAsync<AcquireResponse>(HttpStatusCode.Created);

        // A retry of the claim (its answer lost) renews the same lease.
        (await (await ClaimAsync(key, "machine-b", first.Ticket)).ReadAsync<AcquireResponse>(HttpStatusCode.OK)).SessionId.ShouldBe(lease.SessionId);

        // Released (through the ledger: nothing offers the seat yet) while machine-c waits: the spent ticket takes no seat.
        var second = await WaitAsync(key, "machine-c");
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var ledger = scope.ServiceProvider.GetRequiredService<ISeatLedger>();
            var now = scope.ServiceProvider.GetRequiredService<SeatQueue>().Now();
            (await ledger.ReleaseAsync(LicenseKeys.Hash(key), lease.SessionId, now, CancellationToken.None)).Outcome.ShouldBe(LeaseOutcome.Ok);
        }

        await (await ClaimAsync(key, "machine-b", first.Ticket)).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);
        (await OfferedAsync(second.Ticket)).State.ShouldBe(QueueStates.Offered);
        (await ClaimAsync(key, "machine-c", second.Ticket)).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_lapsed_ticket_streams_its_state_and_ends()
    {
        var (key, _) = await LicenseAsync(seats: 1);
        await _anonymous.AcquireSeatAsync(key, "machine-a");
        var waiting = await WaitAsync(key, "machine-b");
        app.Clock.Advance(TimeSpan.FromSeconds(61));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/licenses/queue/{waiting.Ticket}");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await _anonymous.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        body.ShouldContain("event: ticket");
        body.ShouldContain("\"state\":\"lapsed\"");
    }

    private sealed record Licensed(Caller Vendor, Guid Id);

    private async Task<(string Key, Licensed License)> LicenseAsync(int seats)
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats);
        return (license.LicenseKey!, new Licensed(vendor, license.Id));
    }

    private async Task<QueueTicketResponse> WaitAsync(string key, string hardwareId)
    {
        var response = await _anonymous.PostAsync("/api/v1/licenses/acquire", new AcquireRequest(key, hardwareId, Wait: true));
        var ticket = await response.ReadAsync<QueueTicketResponse>(HttpStatusCode.Accepted);
        response.Headers.Location!.ToString().ShouldBe($"/api/v1/licenses/queue/{ticket.Ticket}");
        return ticket;
    }

    private Task<HttpResponseMessage> ClaimAsync(string key, string hardwareId, string ticket) =>
        _anonymous.PostAsync("/api/v1/licenses/acquire", new AcquireRequest(key, hardwareId, Ticket: ticket));

    private async Task<QueueTicketResponse> PollAsync(string ticket) =>
        await (await _anonymous.GetAsync($"/api/v1/licenses/queue/{ticket}")).ReadAsync<QueueTicketResponse>(HttpStatusCode.OK);

    /// <summary>
    /// Runs the queue job until the ticket is offered: a release also offers on this node in the background, and a job
    /// run that finds the seat already taken by that offer in flight returns before the ticket is marked.
    /// </summary>
    private async Task<QueueTicketResponse> OfferedAsync(string ticket)
    {
        for (var attempt = 0; ; attempt++)
        {
            await OfferAsync();
            var state = await PollAsync(ticket);
            if (state.State == QueueStates.Offered || attempt == 100)
            {
                return state;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }

    private Task<int> OfferAsync() => app.Services.GetRequiredService<QueueOfferJob>().RunOnceAsync(CancellationToken.None);
}

public sealed class SeatQueueTestsOnSqlite(SqliteApp app) : SeatQueueTests<SqliteApp>(app);

public sealed class SeatQueueTestsOnPostgres(PostgresApp app) : SeatQueueTests<PostgresApp>(app);

public sealed class SeatQueueTestsOnRedis(RedisApp app) : SeatQueueTests<RedisApp>(app);

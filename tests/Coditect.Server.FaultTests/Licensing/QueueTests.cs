using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Coditect.Contracts.Licensing;
using Coditect.Server.FaultTests.Infrastructure;
using Xunit.Abstractions;

namespace Coditect.Server.FaultTests.Licensing;

/// <summary>
/// The fair seat queue under churn and a crash: 50 machines wait in line for 10 seats while the holders come and go
/// through every node, and a node dies by SIGKILL midway (on SQLite, the one node, restarted on its file).
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class QueueTests(Backends backends, ITestOutputHelper output)
{
    private const int Seats = 10;
    private const int Waiters = 50;

    /// <summary>
    /// The claim window. With three nodes, a waiter on a loaded machine sees its offer (a long poll answers within a
    /// second of it) and claims well inside 15 s, through another node if one dies. SQLite's only node is down while it
    /// restarts (up to tens of seconds on a loaded machine), and an offer outstanding then must outlast the outage.
    /// </summary>
    private static int ClaimSeconds(Ledger ledger) => ledger == Ledger.Sqlite ? 120 : 15;

    /// <summary>The queue-offers cluster job's period (QueueOfferJob): a seat that freed unseen is offered by its next run.</summary>
    private const int OfferJobSeconds = 1;

    /// <summary>Longer than any hold here: nobody heartbeats, every seat ends by a release.</summary>
    private const int LeaseSeconds = 60;

    private static Dictionary<string, string> QueueSettings(Ledger ledger) => new()
    {
        ["Licensing__QueueClaimSeconds"] = ClaimSeconds(ledger).ToString(CultureInfo.InvariantCulture),
        ["Licensing__QueueTicketTtlSeconds"] = "60",
        ["Licensing__LeaseTtlSeconds"] = LeaseSeconds.ToString(CultureInfo.InvariantCulture),
    };

    [Theory]
    [InlineData(Ledger.Sqlite)]
    [InlineData(Ledger.Postgres)]
    [InlineData(Ledger.Redis)]
    public async Task Fifty_waiters_on_ten_seats_are_served_in_ticket_order_no_seat_twice_or_idle_and_a_SIGKILL_loses_no_ticket(Ledger ledger)
    {
        await using var cluster = await Cluster.StartAsync(backends, ledger, nodes: ledger == Ledger.Sqlite ? 1 : 3, _ => QueueSettings(ledger));
        var license = await cluster.CreateLicenseAsync(Seats);
        var key = license.LicenseKey!;
        var nodes = cluster.Nodes;
        var victim = nodes[^1];
        var load = new QueueLoad(nodes, key);

        // Ten holders take every seat, then fifty machines join the queue one after another through every node.
        var holders = new List<Grant>();
        for (var i = 0; i < Seats; i++)
        {
            holders.Add((await load.TakeAsync($"holder-{i}", nodes[i % nodes.Count])).ShouldNotBeNull(string.Join('\n', load.Incidents)));
        }

        var waiters = new List<Waiter>();
        for (var i = 0; i < Waiters; i++)
        {
            waiters.Add((await load.JoinAsync(i, $"waiter-{i}", nodes[i % nodes.Count])).ShouldNotBeNull(string.Join('\n', load.Incidents)));
        }

        waiters.Select(w => w.Position).ShouldBe(Enumerable.Range(1, Waiters), "each joined behind the ones before it");
        var jumper = await nodes[0].Http.AcquireAsync(key, "jumper");
        jumper.ProblemCode.ShouldBe("NO_SEATS_AVAILABLE", $"a plain acquire may not jump the queue: {jumper}");

        // The churn: holders leave at random moments over two seconds, each waiter claims its offer, holds it a moment
        // and leaves; midway (a third of the waiters served) a node dies by SIGKILL and is started again.
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3)); // a stuck waiter fails instead of hanging
        var startedAt = DateTime.UtcNow;
        var random = new Random(18);
        var leaving = holders.Select(h => (Holder: h, After: random.Next(0, 2000), Random: new Random(random.Next()))).ToList().Select(h => Task.Run(async () =>
        {
            await Task.Delay(h.After);
            await load.ReleaseAsync(h.Holder, "holders", h.Random, deadline.Token);
        })).ToList();
        var waiting = waiters.Select(w => Task.Run(() => load.WaitClaimAndReleaseAsync(w, (200, 800), deadline.Token))).ToList();

        while (waiters.Count(w => w.Claim is not null) < Waiters / 3 && !deadline.IsCancellationRequested && !waiting.All(t => t.IsCompleted))
        {
            await Task.Delay(50);
        }

        var claimedBeforeKill = waiters.Count(w => w.Claim is not null);
        victim.Kill();
        var killedAt = DateTime.UtcNow;
        var restartedAt = killedAt;
        if (ledger == Ledger.Sqlite)
        {
            // The only node: started again on its file (and port). With three nodes the survivors serve the rest.
            await Task.Delay(TimeSpan.FromSeconds(1));
            await victim.StartAsync();
            restartedAt = DateTime.UtcNow;
        }

        await Task.WhenAll(leaving.Concat(waiting));
        var endedAt = DateTime.UtcNow;

        var sessions = await cluster.SessionsAsync(license.Id);
        var tickets = await cluster.TicketsAsync(license.Id);
        var byHash = waiters.ToDictionary(w => Hash(w.Ticket));
        // The timeline first: a long message is cut from its end.
        var context = $"{ledger}: churn from {startedAt:HH:mm:ss.fff}, {victim.Name} killed {killedAt:HH:mm:ss.fff} after {claimedBeforeKill} claims, " +
                      $"{(ledger == Ledger.Sqlite ? $"restarted {restartedAt:HH:mm:ss.fff}" : "not restarted")}, all done {endedAt:HH:mm:ss.fff}\n{load.Summary}\n" +
                      $"incidents: {string.Join("; ", load.Incidents.Take(20))}\n" +
                      $"tickets: {string.Join(' ', tickets.Select(t => $"{t.Seq}:{t.HardwareId}:{t.State}@{t.OfferedAt:HH:mm:ss.fff}"))}\n" +
                      $"{string.Join('\n', waiters.Where(w => w.Claim is null))}\n{cluster.Logs()}";

        // No ticket lost, across the kill: every waiter was offered a seat and claimed it, and the ticket says so.
        waiters.Where(w => w.Claim is null).ShouldBeEmpty(context);
        tickets.Count.ShouldBe(Waiters, context);
        foreach (var ticket in tickets)
        {
            byHash.TryGetValue(ticket.TicketHash, out var waiter).ShouldBeTrue($"ticket {ticket.Seq} is nobody's\n{context}");
            ticket.State.ShouldBe("claimed", $"ticket {ticket.Seq} of {waiter!.HardwareId}\n{context}");
            ticket.SessionId.ShouldBe(waiter.Claim!.SessionId, $"{waiter.HardwareId} was given the seat its ticket holds\n{context}");
        }

        // Ticket order: the numbers follow the order of joining, and each seat went to the ticket at the head: offers
        // (the grants; a claim only takes up its offer) are in ticket order.
        tickets.Select(t => byHash[t.TicketHash].Joined).ShouldBe(Enumerable.Range(0, Waiters), context);
        for (var i = 1; i < tickets.Count; i++)
        {
            tickets[i].OfferedAt!.Value.ShouldBeGreaterThanOrEqualTo(tickets[i - 1].OfferedAt!.Value,
                $"ticket {tickets[i].Seq} was offered a seat before ticket {tickets[i - 1].Seq}\n{context}");
        }

        // No seat granted twice: neither the recorded history nor the clients' ever holds more than the seats.
        var recorded = SeatHistory.MaxOverlap(sessions.Select(s => s.Interval));
        recorded.Max.ShouldBe(Seats, $"recorded history: {recorded}\n{context}");
        var believed = SeatHistory.MaxOverlap(load.Grants.Select(g => g.Believed));
        believed.Max.ShouldBeLessThanOrEqualTo(Seats, $"clients believed they held more seats than exist: {believed}\n{context}");
        SeatHistory.SameHardwareOverlaps(sessions).ShouldBeEmpty(context);
        load.Grants.Select(g => g.SessionId).Distinct().Count().ShouldBe(Seats + Waiters, context);
        var byId = sessions.ToDictionary(s => s.Id);
        foreach (var grant in load.Grants)
        {
            byId.TryGetValue(grant.SessionId, out var session).ShouldBeTrue($"session {grant.SessionId} granted by {grant.Node} is lost\n{context}");
            session!.HardwareId.ShouldBe(grant.HardwareId);
        }

        // No seat left free while a ticket waits beyond the claim window and a run of the offer job. While SQLite's
        // only node is down nobody can be offered anything: that time does not count.
        var down = (From: killedAt, To: restartedAt);
        var idle = SeatHistory.IdleWhileWaiting(sessions.Select(s => s.Interval),
                tickets.Select(t => new SeatInterval(t.CreatedAt, t.OfferedAt ?? t.EndedAt ?? endedAt, t.HardwareId)), Seats)
            .Select(i => (Interval: i, Counted: i.End - i.Start - Overlap(i, down.From, down.To)))
            .OrderByDescending(i => i.Counted).ToList();
        var limit = TimeSpan.FromSeconds(ClaimSeconds(ledger) + OfferJobSeconds);
        context = $"longest idle spans: {string.Join("; ", idle.Take(5).Select(i => $"{i.Interval.Start:HH:mm:ss.fff}+{i.Counted.TotalMilliseconds:0}ms ({i.Interval.Label})"))}\n{context}";
        output.WriteLine($"{ledger}: churn {startedAt:HH:mm:ss.fff}-{endedAt:HH:mm:ss.fff}, {victim.Name} killed {killedAt:HH:mm:ss.fff} after " +
                         $"{claimedBeforeKill} claims, longest idle spans (limit {limit.TotalSeconds:0} s): " +
                         $"{string.Join(", ", idle.Take(3).Select(i => $"{i.Interval.Start:HH:mm:ss.fff}+{i.Counted.TotalMilliseconds:0}ms"))}; " +
                         $"{sessions.Count} sessions; {load.Summary}");
        idle.Where(i => i.Counted > limit).ShouldBeEmpty(context);

        // A crash shows as requests without an answer on the dead node only; never a 500, a 503 or a lapsed ticket.
        load.Incidents.Where(i => i.Answer.Answered || i.Node != victim.Name).ShouldBeEmpty(context);

        // Everyone left: every seat is free again, on every live node's view.
        foreach (var node in nodes.Where(n => n.IsRunning))
        {
            var validate = await node.Http.ValidateAsync(key);
            validate.Status.ShouldBe(HttpStatusCode.OK, validate.ToString());
            validate.Read<ValidateResponse>().License!.SeatsUsed.ShouldBe(0, context);
        }
    }

    private static string Hash(string ticket) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ticket)));

    private static TimeSpan Overlap(SeatInterval interval, DateTime from, DateTime to)
    {
        var start = interval.Start > from ? interval.Start : from;
        var end = interval.End < to ? interval.End : to;
        return end > start ? end - start : TimeSpan.Zero;
    }
}

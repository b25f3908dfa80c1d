using System.Collections.Concurrent;
using System.Net;
using Coditect.Contracts.Licensing;

namespace Coditect.Server.FaultTests.Infrastructure;

/// <summary>A machine in a licence's seat queue: its ticket, in the order it joined, and what became of it.</summary>
public sealed class Waiter(int joined, string hardwareId, string ticket, int position)
{
    /// <summary>0 for the first to join: each joined after the previous one's 202 was in hand.</summary>
    public int Joined { get; } = joined;
    public string HardwareId { get; } = hardwareId;
    public string Ticket { get; } = ticket;

    /// <summary>The place the 202 gave.</summary>
    public int Position { get; } = position;

    public int Polls { get; set; }

    /// <summary>When a poll first answered <c>offered</c>, and the offer's end it gave.</summary>
    public DateTime? OfferSeenAt { get; set; }
    public DateTime? OfferExpiresAt { get; set; }

    /// <summary>The claim's grant (null while not claimed).</summary>
    public Grant? Claim { get; set; }

    /// <summary>Why the waiter gave up, when it did.</summary>
    public string? Failure { get; set; }

    public override string ToString() =>
        $"#{Joined} {HardwareId}: {(Claim is { } c ? $"claimed {c.SessionId:N} at {c.GrantedAt:HH:mm:ss.fff} on {c.Node}" : Failure ?? "not claimed")}, " +
        $"offer seen {OfferSeenAt:HH:mm:ss.fff}, {Polls} polls";
}

/// <summary>
/// Clients of one licence's seat queue across the nodes: holders that take seats and give them back, and waiters that
/// join the queue, long-poll their tickets through random nodes, claim the seat offered to them, hold it and release
/// it. A request that gets no answer (a dead node) is sent again to the next node after a short pause, as a real client
/// would; every answer outside the protocol is recorded.
/// </summary>
public sealed class QueueLoad(IReadOnlyList<ServerNode> nodes, string licenseKey)
{
    /// <summary>The longest long poll a waiter asks for.</summary>
    public const int PollSeconds = 5;

    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    public ConcurrentQueue<Incident> Incidents { get; } = new();

    /// <summary>Every seat granted: the holders' and the claims.</summary>
    public ConcurrentQueue<Grant> Grants { get; } = new();

    public string Summary => string.Join(", ", _counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}: {c.Value}"));

    /// <summary>A plain acquire through <paramref name="node"/>: the seat, or null (the answer is an incident).</summary>
    public async Task<Grant?> TakeAsync(string hardwareId, ServerNode node)
    {
        var answer = await node.Lane("holders").AcquireAsync(licenseKey, hardwareId);
        Count("acquire", answer);
        if (answer.Status != HttpStatusCode.Created)
        {
            Incidents.Enqueue(new Incident(DateTime.UtcNow, $"acquire {hardwareId}", node.Name, answer));
            return null;
        }

        var lease = answer.Read<AcquireResponse>();
        var grant = new Grant(hardwareId, lease.SessionId, node.Name, answer.Status, DateTime.UtcNow, lease.ExpiresAt);
        Grants.Enqueue(grant);
        return grant;
    }

    /// <summary>An acquire with <c>wait</c> through <paramref name="node"/> while every seat is taken: the ticket, or null.</summary>
    public async Task<Waiter?> JoinAsync(int joined, string hardwareId, ServerNode node)
    {
        var answer = await node.Lane("holders").AcquireAsync(licenseKey, hardwareId, wait: true, ticket: null);
        Count("join", answer);
        if (answer.Status != HttpStatusCode.Accepted)
        {
            Incidents.Enqueue(new Incident(DateTime.UtcNow, $"join {hardwareId}", node.Name, answer));
            return null;
        }

        var view = answer.Read<QueueTicketResponse>();
        return new Waiter(joined, hardwareId, view.Ticket, view.Position);
    }

    /// <summary>Gives a seat back through a random node (the next ones while none answers).</summary>
    public async Task ReleaseAsync(Grant grant, string lane, Random random, CancellationToken stop)
    {
        grant.ReleaseSentAt = DateTime.UtcNow;
        var (answer, node, retried) = await SendAsync(http => http.ReleaseAsync(licenseKey, grant.SessionId), "release", lane, random, stop);
        grant.ReleaseStatus = answer.Status;
        // A retry after a lost answer may find the seat already released by the request that got no answer.
        if (answer.Answered && answer.Status != HttpStatusCode.NoContent && !(retried && answer.Status == HttpStatusCode.Gone))
        {
            Incidents.Enqueue(new Incident(DateTime.UtcNow, $"release {grant.HardwareId} {grant.SessionId:N}", node.Name, answer));
        }
    }

    /// <summary>
    /// A waiter's life: long-polls its ticket until a seat is offered, claims it, holds it for a random time within
    /// <paramref name="hold"/> and releases it. Gives up on an answer outside the protocol, or at <paramref name="stop"/>.
    /// </summary>
    public async Task WaitClaimAndReleaseAsync(Waiter waiter, (int Min, int Max) hold, CancellationToken stop)
    {
        var random = new Random(waiter.Joined * 7919 + 11);
        var lane = $"queue-{waiter.Joined % 5}"; // a pool per ten waiters: long polls never queue a claim behind them
        while (true)
        {
            var (answer, node, _) = await SendAsync(http => http.PollQueueAsync(waiter.Ticket, PollSeconds), "poll", lane, random, stop);
            if (!answer.Answered)
            {
                waiter.Failure = $"stopped while waiting: {answer}";
                return;
            }

            if (answer.Status != HttpStatusCode.OK)
            {
                waiter.Failure = $"poll on {node.Name}: {answer}";
                Incidents.Enqueue(new Incident(DateTime.UtcNow, $"poll {waiter.HardwareId}", node.Name, answer));
                return;
            }

            waiter.Polls++;
            var view = answer.Read<QueueTicketResponse>();
            if (view.State == QueueStates.Offered)
            {
                waiter.OfferSeenAt = DateTime.UtcNow;
                waiter.OfferExpiresAt = view.OfferExpiresAt;
                break;
            }

            if (view.State != QueueStates.Waiting)
            {
                waiter.Failure = $"poll on {node.Name}: {view.State}";
                Incidents.Enqueue(new Incident(DateTime.UtcNow, $"poll {waiter.HardwareId}", node.Name, answer));
                return;
            }
        }

        var (claim, claimedOn, _) = await SendAsync(http => http.AcquireAsync(licenseKey, waiter.HardwareId, wait: null, ticket: waiter.Ticket),
            "claim", lane, random, stop);
        if (claim.Status is not (HttpStatusCode.Created or HttpStatusCode.OK))
        {
            waiter.Failure = $"claim on {claimedOn.Name}: {claim}";
            Incidents.Enqueue(new Incident(DateTime.UtcNow, $"claim {waiter.HardwareId}", claimedOn.Name, claim));
            return;
        }

        var lease = claim.Read<AcquireResponse>();
        var grant = new Grant(waiter.HardwareId, lease.SessionId, claimedOn.Name, claim.Status, DateTime.UtcNow, lease.ExpiresAt);
        waiter.Claim = grant;
        Grants.Enqueue(grant);
        await Task.Delay(random.Next(hold.Min, hold.Max), CancellationToken.None);
        await ReleaseAsync(grant, lane, random, stop);
    }

    /// <summary>
    /// One request through a random node, sent again to the next node after a short pause while none answers (until
    /// <paramref name="stop"/>). Returns the last answer, the node that gave it, and whether an earlier try went unanswered.
    /// </summary>
    private async Task<(Answer Answer, ServerNode Node, bool Retried)> SendAsync(
        Func<HttpClient, Task<Answer>> call, string operation, string lane, Random random, CancellationToken stop)
    {
        var index = random.Next(nodes.Count);
        for (var attempt = 0; ; attempt++)
        {
            var node = nodes[(index + attempt) % nodes.Count];
            var answer = await call(node.Lane(lane));
            Count(operation, answer);
            if (answer.Answered || stop.IsCancellationRequested)
            {
                return (answer, node, attempt > 0);
            }

            Incidents.Enqueue(new Incident(DateTime.UtcNow, operation, node.Name, answer));
            await Task.Delay(random.Next(100, 300), CancellationToken.None);
        }
    }

    private void Count(string operation, Answer answer) =>
        _counts.AddOrUpdate(answer.Answered ? $"{operation} {(int)answer.Status}" : $"{operation} no answer", 1, (_, n) => n + 1);
}

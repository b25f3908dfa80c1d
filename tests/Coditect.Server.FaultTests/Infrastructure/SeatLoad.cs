using System.Collections.Concurrent;
using System.Net;
using Coditect.Contracts.Licensing;

namespace Coditect.Server.FaultTests.Infrastructure;

/// <summary>A seat a client was granted (201, or 200 for its own live lease), and what the client did with it.</summary>
public sealed class Grant(string hardwareId, Guid sessionId, string node, HttpStatusCode status, DateTime grantedAt, DateTime expiresAt)
{
    public string HardwareId { get; } = hardwareId;
    public Guid SessionId { get; } = sessionId;
    public string Node { get; } = node;
    public HttpStatusCode Status { get; } = status;

    /// <summary>When the client had the answer in hand (after the server committed the seat).</summary>
    public DateTime GrantedAt { get; } = grantedAt;

    /// <summary>The latest lease expiry a server acknowledged to this client.</summary>
    public DateTime ExpiresAt { get; set; } = expiresAt;

    /// <summary>When the client sent its release (it stopped using the seat then, before the server freed it).</summary>
    public DateTime? ReleaseSentAt { get; set; }

    public HttpStatusCode? ReleaseStatus { get; set; }

    /// <summary>
    /// The interval over which this client believed it held the seat. It lies inside the interval the server really
    /// held it, so these intervals too may never overlap more than the licence has seats.
    /// </summary>
    public SeatInterval Believed => new(GrantedAt, ReleaseSentAt is { } sent && sent < ExpiresAt ? sent : ExpiresAt, $"{HardwareId}/{SessionId:N}");
}

/// <summary>An answer that is not part of the normal protocol flow (not 201/200/409 to acquire, 200 to heartbeat, 204 to release).</summary>
public sealed record Incident(DateTime At, string Operation, string Node, Answer Answer)
{
    /// <summary>For a heartbeat: the lease end the client had been promised when it sent it.</summary>
    public DateTime? LeaseUntil { get; init; }

    /// <summary>A heartbeat refused as lapsed although its answer came while the promised lease still ran.</summary>
    public bool IsLeaseLostEarly => Answer.Status == HttpStatusCode.Gone && LeaseUntil is { } until && At < until;

    public override string ToString() => $"{At:HH:mm:ss.fff} {Operation} on {Node}: {Answer}";
}

/// <summary>
/// Clients of one licence spread across the nodes: each acquires with its own hardware id, holds the seat for a short
/// random time (heartbeating if asked), releases and tries again; on a 409 it backs off and tries another node. A
/// request that gets no answer (a dead node) is retried on the next node with the same hardware id, as a real client
/// would. Every grant and every unusual answer is recorded.
/// </summary>
public sealed class SeatLoad(IReadOnlyList<ServerNode> nodes, string licenseKey, string prefix)
{
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    public ConcurrentQueue<Grant> Grants { get; } = new();

    public ConcurrentQueue<Incident> Incidents { get; } = new();

    /// <summary>Hold time range of a churning client.</summary>
    public (int Min, int Max) HoldMilliseconds { get; init; } = (20, 250);

    /// <summary>Back-off range after a 409.</summary>
    public (int Min, int Max) BackoffMilliseconds { get; init; } = (150, 500);

    /// <summary>Heartbeats each churning client sends while it holds a seat.</summary>
    public int HeartbeatsPerHold { get; init; }

    /// <summary>Clients holding a seat when the load stops walk away without releasing (their leases must lapse).</summary>
    public bool AbandonAtStop { get; init; }

    /// <summary>
    /// These clients use connections of their own (<see cref="ServerNode.Lane"/>) rather than the pool the churn
    /// shares, so a few clients that must keep their leases are not starved by hundreds that come and go.
    /// </summary>
    public bool OwnConnections { get; init; }

    public IReadOnlyDictionary<string, int> Counts => _counts;

    public string Summary => string.Join(", ", _counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}: {c.Value}"));

    /// <summary>Runs <paramref name="clients"/> churning clients until <paramref name="stop"/> fires.</summary>
    public Task RunAsync(int clients, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, clients).Select(i => Task.Run(() => ChurnAsync(i, stop), CancellationToken.None)));

    /// <summary>
    /// Runs <paramref name="clients"/> churning clients for at least <paramref name="atLeast"/> and then until
    /// <paramref name="grants"/> seats have been granted, but no longer than <paramref name="atMost"/>: a slow machine
    /// churns longer rather than proving less.
    /// </summary>
    public async Task RunUntilAsync(int clients, int grants, TimeSpan atLeast, TimeSpan atMost)
    {
        using var stop = new CancellationTokenSource(atMost);
        var run = RunAsync(clients, stop.Token);
        await Task.Delay(atLeast, CancellationToken.None);
        while (!stop.IsCancellationRequested && Grants.Count < grants)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None);
        }

        await stop.CancelAsync();
        await run;
    }

    private async Task ChurnAsync(int index, CancellationToken stop)
    {
        var random = new Random(index * 7919 + 17);
        var hardwareId = $"{prefix}-{index}";
        var node = index % nodes.Count;
        while (!stop.IsCancellationRequested)
        {
            var grant = await AcquireAsync(hardwareId, node, random);
            if (grant is null)
            {
                node = random.Next(nodes.Count);
                await Task.Delay(random.Next(BackoffMilliseconds.Min, BackoffMilliseconds.Max), CancellationToken.None);
                continue;
            }

            node = nodes.Select((n, i) => (n, i)).First(x => x.n.Name == grant.Node).i;
            var hold = random.Next(HoldMilliseconds.Min, HoldMilliseconds.Max);
            for (var beat = 0; beat < HeartbeatsPerHold; beat++)
            {
                await Task.Delay(hold / (HeartbeatsPerHold + 1), CancellationToken.None);
                node = await HeartbeatAsync(grant, node);
            }

            await Task.Delay(hold / (HeartbeatsPerHold + 1), CancellationToken.None);
            if (stop.IsCancellationRequested && AbandonAtStop)
            {
                return;
            }

            node = await ReleaseAsync(grant, node);
        }
    }

    /// <summary>One acquire, retried on the next nodes while no node answers; null when refused (409) or failed.</summary>
    public async Task<Grant?> AcquireAsync(string hardwareId, int node, Random random)
    {
        for (var attempt = 0; attempt <= nodes.Count; attempt++)
        {
            var target = nodes[(node + attempt) % nodes.Count];
            var answer = await Http(target).AcquireAsync(licenseKey, hardwareId);
            Count("acquire", answer);
            if (answer.Status is HttpStatusCode.Created or HttpStatusCode.OK)
            {
                var lease = answer.Read<AcquireResponse>();
                var grant = new Grant(hardwareId, lease.SessionId, target.Name, answer.Status, DateTime.UtcNow, lease.ExpiresAt);
                Grants.Enqueue(grant);
                return grant;
            }

            if (answer.Status == HttpStatusCode.Conflict)
            {
                return null;
            }

            Incidents.Enqueue(new Incident(DateTime.UtcNow, $"acquire {hardwareId}", target.Name, answer));
            if (answer.Answered)
            {
                return null;
            }

            await Task.Delay(random.Next(20, 100), CancellationToken.None);
        }

        return null;
    }

    /// <summary>
    /// A client that holds one seat for as long as <paramref name="stop"/> allows, heartbeating every
    /// <paramref name="every"/> through the nodes in turn; when its lease lapsed anyway it acquires again, as a real
    /// client would. Returns its grants, the last one still held.
    /// </summary>
    public async Task<List<Grant>> HoldAsync(string hardwareId, TimeSpan every, CancellationToken stop)
    {
        var random = new Random(hardwareId.GetHashCode(StringComparison.Ordinal));
        var grants = new List<Grant>();
        for (var round = 0; !stop.IsCancellationRequested; round++)
        {
            var node = round % nodes.Count;
            if (grants.Count == 0 || grants[^1].ExpiresAt <= DateTime.UtcNow)
            {
                if (await AcquireAsync(hardwareId, node, random) is { } grant)
                {
                    grants.Add(grant);
                }
            }
            else
            {
                await HeartbeatAsync(grants[^1], node);
            }

            await Task.Delay(every, CancellationToken.None);
        }

        return grants;
    }

    /// <summary>One heartbeat, moved to the next node while none answers; returns the node that answered.</summary>
    public async Task<int> HeartbeatAsync(Grant grant, int node)
    {
        for (var attempt = 0; attempt <= nodes.Count; attempt++)
        {
            var index = (node + attempt) % nodes.Count;
            var sentAt = DateTime.UtcNow;
            var answer = await Http(nodes[index]).HeartbeatAsync(licenseKey, grant.SessionId);
            Count("heartbeat", answer);
            if (answer.Status == HttpStatusCode.OK)
            {
                grant.ExpiresAt = answer.Read<HeartbeatResponse>().ExpiresAt;
                return index;
            }

            var at = DateTime.UtcNow;
            Incidents.Enqueue(new Incident(at,
                $"heartbeat {grant.HardwareId} {grant.SessionId:N} sent {sentAt:HH:mm:ss.fff} with a lease until {grant.ExpiresAt:HH:mm:ss.fff}", nodes[index].Name, answer)
            {
                LeaseUntil = grant.ExpiresAt,
            });
            if (answer.Status == HttpStatusCode.Gone && at < grant.ExpiresAt)
            {
                grant.ExpiresAt = at; // the client stops using the seat at once
            }

            if (answer.Answered)
            {
                return index;
            }
        }

        return node;
    }

    /// <summary>One release, moved to the next node while none answers.</summary>
    public async Task<int> ReleaseAsync(Grant grant, int node)
    {
        grant.ReleaseSentAt = DateTime.UtcNow;
        for (var attempt = 0; attempt <= nodes.Count; attempt++)
        {
            var index = (node + attempt) % nodes.Count;
            var answer = await Http(nodes[index]).ReleaseAsync(licenseKey, grant.SessionId);
            Count("release", answer);
            if (answer.Status == HttpStatusCode.NoContent)
            {
                grant.ReleaseStatus = answer.Status;
                return index;
            }

            Incidents.Enqueue(new Incident(DateTime.UtcNow, $"release {grant.HardwareId} {grant.SessionId:N}", nodes[index].Name, answer));
            if (answer.Answered)
            {
                grant.ReleaseStatus = answer.Status;
                return index;
            }
        }

        return node;
    }

    private HttpClient Http(ServerNode node) => OwnConnections ? node.Lane(prefix) : node.Http;

    private void Count(string operation, Answer answer) =>
        _counts.AddOrUpdate(answer.Answered ? $"{operation} {(int)answer.Status}" : $"{operation} no answer", 1, (_, n) => n + 1);
}

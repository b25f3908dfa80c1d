using System.Net;
using Coditect.Contracts.Licensing;
using Coditect.Server.FaultTests.Infrastructure;

namespace Coditect.Server.FaultTests.Licensing;

/// <summary>A node dies by SIGKILL while clients churn through all three, and comes back.</summary>
[Collection(FaultsCollection.Name)]
public sealed class NodeCrashTests(Backends backends)
{
    private const int Seats = 50;

    [Theory]
    [InlineData(Ledger.Postgres)]
    [InlineData(Ledger.Redis)]
    public async Task A_node_killed_under_load_loses_no_session_holds_no_seat_past_its_lease_and_a_retry_takes_no_second_seat(Ledger ledger)
    {
        await using var cluster = await Cluster.StartAsync(backends, ledger, nodes: 3);
        var license = await cluster.CreateLicenseAsync(Seats);
        var key = license.LicenseKey!;
        var victim = cluster.Nodes[2];
        List<ServerNode> survivors = [cluster.Nodes[0], cluster.Nodes[1]];
        // The holders are a few clients that must keep their seats: they have connections of their own, so the churn's
        // queue in the shared pool cannot delay their heartbeats past their leases.
        var throughVictim = new SeatLoad([victim], key, "holder") { OwnConnections = true };
        var throughSurvivors = new SeatLoad(survivors, key, "holder") { OwnConnections = true };
        var random = new Random(7);

        // 20 clients hold seats through the node that will die: 10 come back through another node, 10 vanish with it.
        var holders = new List<Grant>();
        for (var i = 0; i < 20; i++)
        {
            holders.Add((await throughVictim.AcquireAsync($"holder-{i}", 0, random)).ShouldNotBeNull($"holder {i}: {string.Join('\n', throughVictim.Incidents)}"));
        }

        var returning = holders.Take(10).ToList();
        var vanished = holders.Skip(10).ToList();
        var load = new SeatLoad(cluster.Nodes, key, "churn");
        using var stopChurn = new CancellationTokenSource();
        var churn = load.RunAsync(clients: 300, stopChurn.Token);

        await Task.Delay(TimeSpan.FromSeconds(2));
        // Their last word with the victim, answered: the lease they were promised.
        await Task.WhenAll(holders.Select(h => throughVictim.HeartbeatAsync(h, 0)));

        throughVictim.Incidents.ShouldBeEmpty();
        victim.Kill();
        var killedAt = DateTime.UtcNow;

        // The returning clients acquire again through a survivor with the same hardware id: their own seat, not a second one.
        var returned = await Task.WhenAll(returning.Select((h, i) => survivors[i % 2].Lane("holder").AcquireAsync(key, h.HardwareId)));
        var returnedAt = DateTime.UtcNow;

        using var stopHeartbeats = new CancellationTokenSource();
        var rounds = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var keepAlive = Task.Run(async () =>
        {
            while (!stopHeartbeats.IsCancellationRequested)
            {
                var sentAt = DateTime.UtcNow;
                await Task.WhenAll(returning.Select(h => throughSurvivors.HeartbeatAsync(h, 0)));
                rounds.Enqueue($"{sentAt:HH:mm:ss.fff}+{(DateTime.UtcNow - sentAt).TotalMilliseconds:0}ms");
                await Task.Delay(1500, CancellationToken.None);
            }
        });

        await Task.Delay(TimeSpan.FromSeconds(1));
        await victim.StartAsync(); // restarted under load, on the same port
        var restartedAt = DateTime.UtcNow;
        var vanishedLeaseEnd = vanished.Max(h => h.ExpiresAt);
        var wait = vanishedLeaseEnd - DateTime.UtcNow + TimeSpan.FromMilliseconds(300);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        await stopChurn.CancelAsync();
        await churn;

        // Only the 10 returned clients hold seats now: the vanished clients' seats are free at their lease end, through
        // every node, the restarted one included.
        var churnStoppedAt = DateTime.UtcNow;
        var fresh = await Task.WhenAll(Enumerable.Range(0, Seats - returning.Count).Select(i => cluster.Nodes[i % 3].Lane("probe").AcquireAsync(key, $"fresh-{i}")));
        var freshAt = DateTime.UtcNow;

        var oneTooMany = await victim.Lane("probe").AcquireAsync(key, "fresh-one-too-many");
        await stopHeartbeats.CancelAsync();
        await keepAlive;

        var sessions = await cluster.SessionsAsync(license.Id);
        var byId = sessions.ToDictionary(s => s.Id);
        // The timeline first: a long message is cut from its end.
        var context = $"{ledger}: killed {killedAt:HH:mm:ss.fff}, returned {returnedAt:HH:mm:ss.fff}, restarted {restartedAt:HH:mm:ss.fff}, " +
                      $"vanished leases end by {vanishedLeaseEnd:HH:mm:ss.fff}, churn stopped {churnStoppedAt:HH:mm:ss.fff}, " +
                      $"fresh acquired by {freshAt:HH:mm:ss.fff}\nreturning clients' heartbeat rounds: {string.Join(' ', rounds)}\n" +
                      $"their incidents: {string.Join("; ", throughSurvivors.Incidents.Take(10))}\n" +
                      $"fresh: {string.Join(' ', fresh.Select(a => (int)a.Status))}\n" +
                      $"returning sessions: {string.Join(' ', returning.Select(h => byId.TryGetValue(h.SessionId, out var s) ? $"{s.HardwareId} {s.Status} expires {s.ExpiresAt:HH:mm:ss.fff} ended {s.EndedAt:HH:mm:ss.fff};" : $"{h.HardwareId} missing;"))}\n" +
                      $"{load.Summary}\n{cluster.Logs()}";

        foreach (var (answer, holder) in returned.Zip(returning))
        {
            answer.Status.ShouldBe(HttpStatusCode.OK,
                $"{holder.HardwareId} coming back (its lease ran to {holder.ExpiresAt:HH:mm:ss.fff}; killed {killedAt:HH:mm:ss.fff}, " +
                $"answered by {returnedAt:HH:mm:ss.fff}): {answer}\n{context}");
            answer.Read<AcquireResponse>().SessionId.ShouldBe(holder.SessionId, "the same session, not a second seat");
            sessions.Count(s => s.HardwareId == holder.HardwareId).ShouldBe(1);
        }

        foreach (var holder in vanished)
        {
            var session = byId[holder.SessionId];
            session.End.ShouldBeLessThanOrEqualTo(holder.ExpiresAt, $"{holder.HardwareId}'s seat outlived the lease it was given");
        }

        fresh.Where(a => a.Status != HttpStatusCode.Created).ShouldBeEmpty($"seats still taken after the vanished leases ended\n{context}");
        oneTooMany.Status.ShouldBe(HttpStatusCode.Conflict, $"{oneTooMany}\n{context}");

        // No committed session lost: every session a client was given is in PostgreSQL, as that client's.
        foreach (var grant in load.Grants.Concat(holders))
        {
            byId.TryGetValue(grant.SessionId, out var session).ShouldBeTrue($"session {grant.SessionId} granted by {grant.Node} is lost\n{context}");
            session!.HardwareId.ShouldBe(grant.HardwareId);
        }

        foreach (var answer in fresh)
        {
            byId.ShouldContainKey(answer.Read<AcquireResponse>().SessionId);
        }

        var recorded = SeatHistory.MaxOverlap(sessions.Select(s => s.Interval));
        recorded.Max.ShouldBeLessThanOrEqualTo(Seats, $"recorded history over-allocates: {recorded}\n{context}");
        var believed = SeatHistory.MaxOverlap(load.Grants.Concat(holders).Select(g => g.Believed));
        believed.Max.ShouldBeLessThanOrEqualTo(Seats, $"clients believed they held more seats than exist: {believed}\n{context}");
        SeatHistory.SameHardwareOverlaps(sessions).ShouldBeEmpty();

        // A crash shows as requests without an answer, on the dead node only; never a 500 or a 503.
        load.Incidents.Concat(throughSurvivors.Incidents)
            .Where(i => i.Answer.Answered || i.Node != victim.Name)
            .ShouldBeEmpty(context);
        load.Grants.Count(g => g.Status == HttpStatusCode.OK)
            .ShouldBeLessThanOrEqualTo(load.Incidents.Count(i => i.Operation.StartsWith("acquire", StringComparison.Ordinal)), "a renewal only follows a lost answer");
    }
}

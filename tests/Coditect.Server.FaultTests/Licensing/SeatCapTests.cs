using System.Net;
using Coditect.Server.FaultTests.Infrastructure;

namespace Coditect.Server.FaultTests.Licensing;

/// <summary>Three real server processes on one database hand out a licence's seats to 500 clients that churn.</summary>
[Collection(FaultsCollection.Name)]
public sealed class SeatCapTests(Backends backends)
{
    [Theory]
    [InlineData(Ledger.Postgres)]
    [InlineData(Ledger.Redis)]
    public async Task Three_nodes_and_500_churning_clients_never_hold_more_than_50_seats_at_any_instant(Ledger ledger)
    {
        await using var cluster = await Cluster.StartAsync(backends, ledger, nodes: 3);
        var license = await cluster.CreateLicenseAsync(seats: 50);
        var load = new SeatLoad(cluster.Nodes, license.LicenseKey!, "churn") { HeartbeatsPerHold = ledger == Ledger.Redis ? 1 : 0 };

        await load.RunUntilAsync(clients: 500, grants: 300, atLeast: TimeSpan.FromSeconds(12), atMost: TimeSpan.FromSeconds(40));

        var sessions = await cluster.SessionsAsync(license.Id);
        var context = $"{ledger}: {load.Summary}\n{cluster.Logs()}";
        // A heartbeat the overloaded box answered only after its lease had run out is rightly refused (410); every
        // other incident, a 410 while the promised lease still ran included, is a failure.
        load.Incidents.Where(i => !IsLateButRightful(i)).ShouldBeEmpty(context);
        load.Grants.Count.ShouldBeGreaterThan(200, "too little churn to prove anything: " + context);
        AssertEveryGrantRecorded(load, sessions);

        var recorded = SeatHistory.MaxOverlap(sessions.Select(s => s.Interval));
        var byId = sessions.ToDictionary(s => s.Id);
        var lag = load.Grants.Where(g => g.Status == HttpStatusCode.Created)
            .Select(g => (g.GrantedAt - byId[g.SessionId].StartedAt).TotalMilliseconds).Order().ToList();
        context = $"recorded start to answer in hand, ms: p50 {lag[lag.Count / 2]:F0}, max {lag[^1]:F0}\n" + context;
        recorded.Max.ShouldBeLessThanOrEqualTo(50, $"recorded history over-allocates: {recorded}\n{context}");
        recorded.Max.ShouldBeGreaterThan(40, "the load never came near the cap: " + context);
        var believed = SeatHistory.MaxOverlap(load.Grants.Select(g => g.Believed));
        believed.Max.ShouldBeLessThanOrEqualTo(50, $"clients believed they held more seats than exist: {believed}");
        SeatHistory.SameHardwareOverlaps(sessions).ShouldBeEmpty();

        // The same check on the same data does fail when one more seat is slipped in at the busiest instant.
        var forged = new SeatInterval(recorded.At, recorded.At.AddMilliseconds(1), "forged");
        SeatHistory.MaxOverlap(sessions.Select(s => s.Interval).Append(forged)).Max.ShouldBe(recorded.Max + 1);

        // Everyone released: nothing is held afterwards, on any node's view.
        foreach (var node in cluster.Nodes)
        {
            var validate = await node.Http.ValidateAsync(license.LicenseKey!);
            validate.Status.ShouldBe(HttpStatusCode.OK, validate.ToString());
            validate.Read<Coditect.Contracts.Licensing.ValidateResponse>().License!.SeatsUsed.ShouldBe(0);
        }
    }

    internal static void AssertEveryGrantRecorded(SeatLoad load, IReadOnlyList<SessionRecord> sessions)
    {
        var recorded = sessions.ToDictionary(s => s.Id);
        foreach (var grant in load.Grants)
        {
            recorded.TryGetValue(grant.SessionId, out var session).ShouldBeTrue($"session {grant.SessionId} granted by {grant.Node} is not in PostgreSQL");
            session!.HardwareId.ShouldBe(grant.HardwareId);
        }

        sessions.Count.ShouldBe(load.Grants.Where(g => g.Status == HttpStatusCode.Created).Select(g => g.SessionId).Distinct().Count(),
            "every session row is one that a client was given");
    }

    private static bool IsLateButRightful(Incident incident) =>
        incident.Answer.Status == System.Net.HttpStatusCode.Gone && incident.LeaseUntil is { } until && incident.At >= until;
}

using System.Globalization;
using Coditect.Server.FaultTests.Infrastructure;

namespace Coditect.Server.FaultTests.Licensing;

/// <summary>Redis loses every key twice under load — FLUSHALL, then a restart without persistence — on the Redis ledger.</summary>
[Collection(FaultsCollection.Name)]
public sealed class RedisLossTests(Backends backends)
{
    private const int Seats = 50;

    [Fact]
    public async Task Redis_flushed_and_restarted_under_load_never_lets_the_cap_slip_keeps_heartbeats_working_and_ends_equal_to_PostgreSQL()
    {
        await using var cluster = await Cluster.StartAsync(backends, Ledger.Redis, nodes: 3);
        var license = await cluster.CreateLicenseAsync(Seats);
        var key = license.LicenseKey!;
        var redis = backends.Redis;

        // Every node serves a few calls first, so a cold node's first seconds are not mistaken for the fault.
        await Task.WhenAll(cluster.Nodes.Select(async (node, i) =>
        {
            var warm = (await node.Http.AcquireAsync(key, $"warm-{i}")).Read<Coditect.Contracts.Licensing.AcquireResponse>();
            (await node.Http.HeartbeatAsync(key, warm.SessionId)).IsSuccess.ShouldBeTrue();
            (await node.Http.ReleaseAsync(key, warm.SessionId)).IsSuccess.ShouldBeTrue();
        }));

        // 15 clients hold their seats throughout, heartbeating every second through the nodes in turn: before, during
        // and after Redis loses its data.
        var steady = new SeatLoad(cluster.Nodes, key, "steady") { OwnConnections = true };
        using var stopHolding = new CancellationTokenSource();
        var holding = Enumerable.Range(0, 15).Select(i => Task.Run(() => steady.HoldAsync($"steady-{i}", TimeSpan.FromSeconds(1), stopHolding.Token))).ToList();
        await Task.Delay(TimeSpan.FromSeconds(1));

        var load = new SeatLoad(cluster.Nodes, key, "churn") { HeartbeatsPerHold = 1, HoldMilliseconds = (100, 600) };
        using var stopChurn = new CancellationTokenSource();
        var churn = load.RunAsync(clients: 200, stopChurn.Token);

        await Task.Delay(TimeSpan.FromSeconds(3));
        var flushedAt = DateTime.UtcNow;
        await redis.CliAsync("flushall");
        await Task.Delay(TimeSpan.FromSeconds(3));
        var stoppedAt = DateTime.UtcNow;
        await redis.StopServerAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        var restartingAt = DateTime.UtcNow; // a node may reconnect and rebuild before StartServerAsync sees Redis answer
        await redis.StartServerAsync();
        var restartedAt = DateTime.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(4));
        await stopChurn.CancelAsync();
        await churn;

        // One write-behind flush and one sweep (its reconciliation), then Redis's live leases must be PostgreSQL's.
        await Task.Delay(TimeSpan.FromMilliseconds(Cluster.HeartbeatFlushMilliseconds + Cluster.SweepIntervalSeconds * 1000 + 1000));
        var now = DateTime.UtcNow;
        var members = await redis.CliAsync("zrangebyscore", $"cdx:{{L:{license.Id:N}}}:leases",
            "(" + new DateTimeOffset(now).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), "+inf");
        var inRedis = members.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order().ToList();
        var sessions = await cluster.SessionsAsync(license.Id);
        var inPostgres = sessions.Where(s => s.Status == "active" && s.ExpiresAt > now).Select(s => s.Id.ToString("N")).Order().ToList();

        await stopHolding.CancelAsync();
        var held = (await Task.WhenAll(holding)).Select(grants => grants[^1]).ToList();
        await Task.WhenAll(held.Select(h => steady.ReleaseAsync(h, 0)));
        var holders = steady.Grants.ToList();

        var context = $"flushed {flushedAt:HH:mm:ss.fff}, stopped {stoppedAt:HH:mm:ss.fff}, restarted {restartedAt:HH:mm:ss.fff}, " +
                      $"compared {now:HH:mm:ss.fff}; {load.Summary}; steady {steady.Summary}\n{cluster.Logs()}";
        var steadyRows = string.Join('\n', sessions.Where(s => s.HardwareId.StartsWith("steady-", StringComparison.Ordinal))
            .Select(s => $"{s.HardwareId} {s.Id:N} {s.Status} started {s.StartedAt:HH:mm:ss.fff} expires {s.ExpiresAt:HH:mm:ss.fff} ended {s.EndedAt:HH:mm:ss.fff}"));
        context = steadyRows + "\n" + context;
        // A heartbeat may come too late on this busy machine (the lease had run out before the server saw it: 410, and
        // the client acquires again). A heartbeat refused while the promised lease still ran is a lost lease.
        steady.Incidents.Concat(load.Incidents).Where(i => i.IsLeaseLostEarly).ShouldBeEmpty("leases lost before their end\n" + context);
        steady.Incidents.Concat(load.Incidents).Where(i => i.Answer.Status != System.Net.HttpStatusCode.Gone).ShouldBeEmpty(context);
        steady.Incidents.Count.ShouldBeLessThan(15, "most steady clients kept one lease throughout\n" + context);
        held.ShouldAllBe(h => h.ExpiresAt > restartedAt.AddSeconds(3), "heartbeats kept working after the rebuild");
        inPostgres.Count.ShouldBe(held.Count(h => h.ExpiresAt > now), context);
        inRedis.ShouldBe(inPostgres, $"Redis lease cache against PostgreSQL's live sessions\n{context}");

        SeatCapTests.AssertEveryGrantRecorded(load, sessions.Where(s => s.HardwareId.StartsWith("churn-", StringComparison.Ordinal)).ToList());
        var recorded = SeatHistory.MaxOverlap(sessions.Select(s => s.Interval));
        recorded.Max.ShouldBeLessThanOrEqualTo(Seats, $"recorded history over-allocates: {recorded}\n{context}");
        var believed = SeatHistory.MaxOverlap(load.Grants.Concat(holders).Select(g => g.Believed));
        believed.Max.ShouldBeLessThanOrEqualTo(Seats, $"clients believed they held more seats than exist: {believed}\n{context}");
        SeatHistory.SameHardwareOverlaps(sessions).ShouldBeEmpty();

        // The ledger noticed the loss and rebuilt from PostgreSQL, after the flush and again after the restart.
        var rebuilds = cluster.Nodes.SelectMany(n => n.Log()).Where(l => l.Contains("Loaded the Redis lease cache", StringComparison.Ordinal))
            .Select(LogTime).ToList();
        rebuilds.ShouldContain(t => t > flushedAt && t < stoppedAt, context);
        rebuilds.ShouldContain(t => t > restartingAt, context);
    }

    private static DateTime LogTime(string line) =>
        DateTime.Parse(line[..line.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
}

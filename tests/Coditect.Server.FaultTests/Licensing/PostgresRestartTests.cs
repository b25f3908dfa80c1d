using System.Diagnostics;
using System.Net;
using Coditect.Contracts.Licensing;
using Coditect.Server.FaultTests.Infrastructure;

namespace Coditect.Server.FaultTests.Licensing;

/// <summary>PostgreSQL stops and starts again under running servers.</summary>
[Collection(FaultsCollection.Name)]
public sealed class PostgresRestartTests(Backends backends)
{
    private const int Seats = 20;

    [Theory]
    [InlineData(Ledger.Postgres)]
    [InlineData(Ledger.Redis)]
    public async Task While_PostgreSQL_is_down_calls_answer_503_with_a_code_and_the_same_processes_recover_on_their_own(Ledger ledger)
    {
        await using var cluster = await Cluster.StartAsync(backends, ledger, nodes: 2);
        var license = await cluster.CreateLicenseAsync(Seats);
        var key = license.LicenseKey!;
        var processes = cluster.Nodes.Select(n => n.ProcessId).ToList();
        var held = (await cluster.Nodes[0].Http.AcquireAsync(key, "probe-holder")).Read<AcquireResponse>();
        var load = new SeatLoad(cluster.Nodes, key, "churn") { HeartbeatsPerHold = 1 };
        using var stopChurn = new CancellationTokenSource();
        var churn = load.RunAsync(clients: 40, stopChurn.Token);
        await Task.Delay(TimeSpan.FromSeconds(2));

        await backends.Postgres.StopServerAsync("fast");
        var downAt = DateTime.UtcNow;
        var probes = new List<(string What, Answer Answer, TimeSpan Took)>();
        for (var round = 0; round < 3; round++)
        {
            foreach (var node in cluster.Nodes)
            {
                await Probe($"{node.Name} health", () => node.Http.SendJsonAsync(HttpMethod.Get, "health"));
                await Probe($"{node.Name} acquire", () => node.Http.AcquireAsync(key, $"outage-{round}"));
                await Probe($"{node.Name} validate", () => node.Http.ValidateAsync(key));
                await Probe($"{node.Name} release", () => node.Http.ReleaseAsync(key, Guid.NewGuid()));
                await Probe($"{node.Name} list licences", () => cluster.ListLicensesAsync(node));
                if (ledger == Ledger.Postgres)
                {
                    await Probe($"{node.Name} heartbeat", () => node.Http.HeartbeatAsync(key, held.SessionId));
                }
            }

            await Task.Delay(500);
        }

        await backends.Postgres.StartServerAsync();
        var upAt = DateTime.UtcNow;

        // The same processes serve again without a restart, within a bounded time.
        var recovered = new List<TimeSpan>();
        foreach (var node in cluster.Nodes)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                var acquire = await node.Http.AcquireAsync(key, $"after-{node.Name}");
                var list = await cluster.ListLicensesAsync(node);
                if (acquire.Status == HttpStatusCode.Created && list.Status == HttpStatusCode.OK)
                {
                    recovered.Add(DateTime.UtcNow - upAt);
                    break;
                }

                DateTime.UtcNow.ShouldBeLessThan(deadline, $"{node.Name} did not recover: acquire {acquire}, list {list}\n{cluster.Logs()}");
                await Task.Delay(250);
            }
        }

        await stopChurn.CancelAsync();
        await churn;

        var context = $"{ledger}: down {downAt:HH:mm:ss.fff}, up {upAt:HH:mm:ss.fff}, recovered after " +
                      $"{string.Join(", ", recovered.Select(r => $"{r.TotalSeconds:F1} s"))}; {load.Summary}\n{cluster.Logs()}";
        context = string.Join('\n', probes.Select(p => $"{p.What}: {(int)p.Answer.Status} {p.Answer.Failure} in {p.Took.TotalSeconds:F1} s")) + "\n" + context;
        cluster.Nodes.Select(n => n.ProcessId).ShouldBe(processes, "no node restarted");
        cluster.Nodes.ShouldAllBe(n => n.IsRunning);
        foreach (var (what, answer, took) in probes.Where(p => p.What.EndsWith(" health", StringComparison.Ordinal)))
        {
            answer.Status.ShouldBe(HttpStatusCode.OK, $"{what}: a node without its database is still alive and answers\n{context}");
            took.ShouldBeLessThan(TimeSpan.FromSeconds(10), $"{what} hung\n{context}");
        }

        foreach (var (what, answer, took) in probes.Where(p => !p.What.EndsWith(" health", StringComparison.Ordinal)))
        {
            answer.Status.ShouldBe(HttpStatusCode.ServiceUnavailable, $"{what}: {answer}\n{context}");
            answer.ContentType.ShouldBe("application/problem+json", what);
            answer.ProblemCode.ShouldBe("SERVICE_UNAVAILABLE", what);
            answer.RetryAfter.ShouldNotBeNull(what);
            took.ShouldBeLessThan(TimeSpan.FromSeconds(10), $"{what} hung\n{context}");
        }

        // Under load too: an outage shows as 503 with its code, never as a 500 or a request left hanging.
        load.Incidents.Where(i => i.Answer.Status != HttpStatusCode.ServiceUnavailable || i.Answer.ProblemCode != "SERVICE_UNAVAILABLE")
            .ShouldBeEmpty(context);
        load.Grants.Count(g => g.GrantedAt > upAt).ShouldBeGreaterThan(0, "clients got seats again after the outage");

        var sessions = await cluster.SessionsAsync(license.Id);
        var recorded = SeatHistory.MaxOverlap(sessions.Select(s => s.Interval));
        recorded.Max.ShouldBeLessThanOrEqualTo(Seats, $"recorded history over-allocates: {recorded}\n{context}");
        var ids = sessions.Select(s => s.Id).ToHashSet();
        load.Grants.Where(g => !ids.Contains(g.SessionId)).ShouldBeEmpty("sessions lost");

        async Task Probe(string what, Func<Task<Answer>> call)
        {
            var watch = Stopwatch.StartNew();
            var answer = await call();
            probes.Add((what, answer, watch.Elapsed));
        }
    }
}

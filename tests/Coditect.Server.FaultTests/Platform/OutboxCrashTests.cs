using System.Net;
using Coditect.Contracts.Licensing;
using Coditect.Server.FaultTests.Infrastructure;

namespace Coditect.Server.FaultTests.Platform;

/// <summary>The outbox across a crash: a node killed between commit and delivery loses no event.</summary>
[Collection(FaultsCollection.Name)]
public sealed class OutboxCrashTests(Backends backends)
{
    [Fact]
    public async Task An_event_committed_by_a_node_killed_before_delivering_it_is_still_delivered()
    {
        // node2 waits a minute after each commit that raised events before delivering them: the window the kill lands in.
        await using var cluster = await Cluster.StartAsync(backends, Ledger.Redis, nodes: 2,
            nodeSettings: i => i == 1 ? new Dictionary<string, string> { ["Outbox__PauseAfterCommitMilliseconds"] = "60000" } : new());
        var (node1, node2) = (cluster.Nodes[0], cluster.Nodes[1]);
        var license = await cluster.CreateLicenseAsync(seats: 2);
        var key = license.LicenseKey!;
        var lease = (await node1.Http.AcquireAsync(key, "machine-1")).Read<AcquireResponse>();
        (await node1.Http.HeartbeatAsync(key, lease.SessionId)).Status.ShouldBe(HttpStatusCode.OK, "node1 caches the licence");
        (await backends.Redis.CliAsync("keys", $"cdx:{{L:{license.Id:N}}}:*")).ShouldNotBeNullOrWhiteSpace("the licence has Redis keys");

        // The delete commits on node2, which then sits on its events; node2 dies before delivering them or signalling.
        var deleting = cluster.DeleteLicenseAsync(node2, license.Id);
        var committed = DateTime.UtcNow;
        while (await cluster.ScalarAsync<long>($"select count(*) from licenses where id = '{license.Id}'") != 0)
        {
            (DateTime.UtcNow - committed).ShouldBeLessThan(TimeSpan.FromSeconds(15), "the delete commits");
            await Task.Delay(20);
        }

        node2.Kill();
        var killedAt = DateTime.UtcNow;
        (await deleting).Answered.ShouldBeFalse("node2 died before answering");

        // Every node: node1 reads the event itself (the poll) and drops its copy of the licence.
        Answer heartbeat;
        while ((heartbeat = await node1.Http.HeartbeatAsync(key, lease.SessionId)).Status != HttpStatusCode.NotFound)
        {
            (DateTime.UtcNow - killedAt).ShouldBeLessThan(TimeSpan.FromSeconds(5), $"node1 refuses the deleted licence; last: {heartbeat}\n{cluster.Logs()}");
            await Task.Delay(100);
        }

        // Once per cluster: node1's dispatcher claims the organization and drops the licence's Redis keys.
        while (!string.IsNullOrWhiteSpace(await backends.Redis.CliAsync("keys", $"cdx:{{L:{license.Id:N}}}:*")))
        {
            (DateTime.UtcNow - killedAt).ShouldBeLessThan(TimeSpan.FromSeconds(10), $"the Redis keys are dropped\n{cluster.Logs()}");
            await Task.Delay(100);
        }

        // The handlers run before the dispatcher commits how far it got, so the count follows the keys by a moment.
        while (await cluster.ScalarAsync<long>("select count(*) from outbox_sequences where dispatched_seq < next_seq") != 0)
        {
            (DateTime.UtcNow - killedAt).ShouldBeLessThan(TimeSpan.FromSeconds(10), $"every event dispatched\n{cluster.Logs()}");
            await Task.Delay(100);
        }
    }
}

using System.Diagnostics;
using Coditect.Server.FaultTests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace Coditect.Server.FaultTests.Notifications;

/// <summary>
/// Webhook delivery at scale across a crash: 3 nodes deliver 10,000 events to 2 endpoints of a real receiver that
/// checks every signature; one node is SIGKILLed mid-delivery and restarted. Nothing is lost, the delivery log records
/// each (event, endpoint) delivered once, and the receiver's duplicates are only what the dead node had claimed.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class WebhookDeliveryCrashTests(Backends backends, ITestOutputHelper output)
{
    private const int Events = 10_000;
    private const int Endpoints = 2;
    private const int Deliveries = Events * Endpoints;

    /// <summary>The second endpoint is down (503) for its first requests, then recovers.</summary>
    private const int DownFor = 1_000;

    /// <summary>Only against a hang: no speed is asserted here (bench/webhooks.sh measures it).</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(4);

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["Webhooks__AllowPrivateNetworks"] = "true",
        ["Webhooks__TimeoutSeconds"] = "5",
        ["Webhooks__LeaseMarginSeconds"] = "3",
        ["Webhooks__RetrySchedule"] = "1s,1s,2s,2s,2s,2s,2s,2s",
        ["Webhooks__PollMilliseconds"] = "200",
        ["Outbox__PollMilliseconds"] = "200",
    };

    [Fact]
    public async Task Ten_thousand_events_reach_both_endpoints_across_a_SIGKILL_each_recorded_delivered_once()
    {
        var started = Stopwatch.StartNew();
        await using var receiver = await SigningReceiver.StartAsync();
        await using var cluster = await Cluster.StartAsync(backends, Ledger.Postgres, nodes: 3, nodeSettings: _ => Settings);
        var steady = await cluster.CreateWebhookAsync(receiver.UrlOf("steady"));
        var flaky = await cluster.CreateWebhookAsync(receiver.UrlOf("flaky"));
        receiver.Expect("steady", steady.Secret!);
        receiver.Expect("flaky", flaky.Secret!, failFirst: DownFor);

        // One event through the API (license.created), then as many more as the outbox rows the server wrote for it.
        await cluster.CreateLicenseAsync(seats: 1);
        await RaiseCopiesAsync(cluster, Events - 1);
        output.WriteLine($"cluster up and {Events} events raised after {started.Elapsed.TotalSeconds:F1} s");

        // SIGKILL node2 with a third of the deliveries done: it has deliveries claimed, in flight or not yet recorded.
        var node2 = cluster.Nodes[1];
        await WaitAsync(() => Task.FromResult(receiver.DistinctAccepted >= Deliveries / 3), HangGuard, "a third delivered", cluster);
        node2.Kill();
        var killedAt = DateTime.UtcNow;
        // Every claim held now, the dead node's among them (a superset: the live nodes' too): the most it can leave to resend.
        var claimedAtKill = await cluster.ScalarAsync<long>("select count(*) from webhook_deliveries where status = 'pending' and lease_until is not null");
        var acceptedAtKill = receiver.DistinctAccepted;
        await node2.StartAsync();

        await WaitAsync(async () => await cluster.ScalarAsync<long>("select count(*) from webhook_deliveries where status = 'succeeded'") == Deliveries,
            HangGuard, "every delivery succeeded", cluster);
        output.WriteLine($"all {Deliveries} delivered after {started.Elapsed.TotalSeconds:F1} s; killed with {acceptedAtKill} accepted and {claimedAtKill} claimed");

        // The server's view: one delivery per (event, endpoint), each with exactly one successful attempt in its log.
        (await cluster.ScalarAsync<long>("select count(*) from webhook_deliveries")).ShouldBe(Deliveries);
        (await cluster.ScalarAsync<long>("select count(distinct event_id) from webhook_deliveries")).ShouldBe(Events);
        (await cluster.ScalarAsync<long>("select count(*) from outbox_sequences where dispatched_seq < next_seq")).ShouldBe(0, "every event dispatched");
        (await cluster.ScalarAsync<long>("""
            select count(*) from webhook_deliveries d
            where (select count(*) from webhook_attempts a where a.delivery_id = d.id and a.status_code between 200 and 299) <> 1
            """)).ShouldBe(0, "each (event, endpoint) is recorded delivered once in the delivery log");
        // webhook-sequence: each endpoint's deliveries are numbered 1..N in the order the events were raised, whichever
        // node's dispatcher fanned them out.
        (await cluster.ScalarAsync<long>("""
            select count(*) from (
                select d.sequence, row_number() over (partition by d.endpoint_id order by o.seq) as n
                from webhook_deliveries d join outbox o on d.event_id = 'evt_' || o.id::text) numbered
            where sequence is distinct from n
            """)).ShouldBe(0, "each endpoint numbers its events 1..N in event order, without a gap or a repeat");
        (await cluster.ScalarAsync<long>("select count(distinct (endpoint_id, sequence)) from webhook_deliveries")).ShouldBe(Deliveries);

        // The receiver's view: every delivery arrived, signed, at its own endpoint, and nothing else did.
        receiver.Refused.ShouldBe(0, "every signature verifies with the documented algorithm");
        var unanswered = await UnansweredAttemptsAsync(cluster);
        var duplicates = new List<(string Endpoint, string Id, IReadOnlyList<DateTime> Arrivals)>();
        foreach (var (name, endpoint) in new[] { ("steady", steady), ("flaky", flaky) })
        {
            var expected = await WebhookIdsAsync(cluster, endpoint.Id);
            var accepted = receiver.Accepted(name);
            expected.Count.ShouldBe(Events);
            accepted.Keys.Except(expected).ShouldBeEmpty($"{name}: nothing but its own deliveries");
            expected.Except(accepted.Keys).ShouldBeEmpty($"{name}: every event arrived");
            duplicates.AddRange(accepted.Where(a => a.Value.Count > 1).Select(a => (name, a.Key, a.Value)));
        }

        // At least once, and only for two causes the server can name. (1) The dead node sent a delivery and died before
        // recording it; another node sent it again once the claim lapsed. (2) An attempt that got no answer in time (a
        // timeout on a starved machine) is in the log without a status, and the retry is a second copy: the receiver
        // may have taken the first. Any other duplicate would be a bug (exactly once otherwise).
        output.WriteLine($"duplicates at the receiver: {duplicates.Count} (bound: {claimedAtKill} claims held at the kill, {unanswered.Count} unanswered attempts)");
        foreach (var warning in cluster.Nodes.SelectMany(n => n.Log()).Where(l => l.Contains("webhook", StringComparison.OrdinalIgnoreCase) && l.Contains("failed", StringComparison.Ordinal)).Take(10))
        {
            output.WriteLine(warning);
        }

        var fromKill = duplicates.Where(d => !unanswered.ContainsKey(d.Id)).ToList();
        fromKill.Count.ShouldBeLessThanOrEqualTo((int)claimedAtKill, "duplicates only of what was claimed when the node died");
        foreach (var (name, id, arrivals) in duplicates)
        {
            if (unanswered.TryGetValue(id, out var tries))
            {
                arrivals.Count.ShouldBeLessThanOrEqualTo(tries + 2, $"{name} {id}: one copy per unanswered attempt, one more at most for the kill");
                continue;
            }

            arrivals.Count.ShouldBe(2, $"{name} {id}: one resend at most");
            arrivals[0].ShouldBeLessThan(killedAt.AddSeconds(1), $"{name} {id}: the first copy came from before the kill");
            arrivals[1].ShouldBeGreaterThan(killedAt, $"{name} {id}: the second after it");
        }

        // The receiver that was down: each refused attempt is in the log (but those the dead node sent) and was retried.
        receiver.Failed("flaky").ShouldBe(DownFor);
        var refused = await cluster.ScalarAsync<long>("select count(*) from webhook_attempts where status_code = 503");
        refused.ShouldBeInRange(Math.Max(1, DownFor - claimedAtKill - unanswered.Values.Sum()), DownFor, "the 503 answers are in the delivery log");
        (await cluster.ScalarAsync<long>("select count(*) from webhook_subscriptions where failing_since is not null or not enabled"))
            .ShouldBe(0, "the recovered endpoint's failing streak ended");
    }

    /// <summary>
    /// Raises <paramref name="count"/> more events exactly as <c>Outbox.RaiseAsync</c> stores them (the organization's next
    /// numbers from <c>outbox_sequences</c>, type and data of the event the API raised), in one transaction, and signals
    /// the dispatchers as a commit does. Ten thousand API calls would take most of the test's budget on two cores.
    /// </summary>
    private static async Task RaiseCopiesAsync(Cluster cluster, int count)
    {
        await using var connection = new NpgsqlConnection(cluster.AdminConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand("""
            WITH source AS (SELECT tenant_id, type, data FROM outbox WHERE type = 'license.created' ORDER BY id DESC LIMIT 1),
                 numbers AS (UPDATE outbox_sequences s SET next_seq = s.next_seq + $1 FROM source
                             WHERE s.tenant_id = source.tenant_id RETURNING s.next_seq)
            INSERT INTO outbox (tenant_id, seq, type, data, created_at)
            SELECT source.tenant_id, numbers.next_seq - $1 + g, source.type, source.data, now()
            FROM source, numbers, generate_series(1, $1) AS g
            """, connection, transaction)
        {
            Parameters = { new NpgsqlParameter { Value = (long)count } },
        };
        (await command.ExecuteNonQueryAsync()).ShouldBe(count);
        await using var notify = new NpgsqlCommand("SELECT pg_notify('coditect_outbox', '1')", connection, transaction);
        await notify.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
    }

    /// <summary>
    /// The <c>webhook-id</c> of each delivery whose log holds attempts without an answer (a timeout or a broken
    /// connection), with how many: each may have reached the receiver all the same.
    /// </summary>
    private static async Task<Dictionary<string, int>> UnansweredAttemptsAsync(Cluster cluster)
    {
        await using var connection = new NpgsqlConnection(cluster.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select delivery_id, count(*)::int from webhook_attempts where status_code is null group by delivery_id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var unanswered = new Dictionary<string, int>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            unanswered["msg_" + reader.GetGuid(0).ToString("N")] = reader.GetInt32(1);
        }

        return unanswered;
    }

    /// <summary>The <c>webhook-id</c> of each of the endpoint's deliveries (<c>msg_</c> + the delivery's id).</summary>
    private static async Task<HashSet<string>> WebhookIdsAsync(Cluster cluster, Guid endpointId)
    {
        await using var connection = new NpgsqlConnection(cluster.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select id from webhook_deliveries where endpoint_id = $1", connection)
        {
            Parameters = { new NpgsqlParameter { Value = endpointId } },
        };
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            ids.Add("msg_" + reader.GetGuid(0).ToString("N"));
        }

        return ids;
    }

    private static async Task WaitAsync(Func<Task<bool>> done, TimeSpan within, string what, Cluster cluster)
    {
        var start = Stopwatch.StartNew();
        while (!await done())
        {
            start.Elapsed.ShouldBeLessThan(within, $"{what}\n{cluster.Logs()}");
            await Task.Delay(100);
        }
    }
}

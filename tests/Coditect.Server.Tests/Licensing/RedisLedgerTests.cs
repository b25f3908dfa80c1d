using System.Net;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Licensing;
using Coditect.Server.Licensing.Ledger;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Coditect.Server.Tests.Licensing;

/// <summary>The Redis lease cache in front of PostgreSQL: what it serves, and how it recovers.</summary>
public sealed class RedisLedgerTests(RedisApp app) : IClassFixture<RedisApp>, IDisposable
{
    private readonly Client _anonymous = app.Anonymous();
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(app.RedisConnectionString);

    public void Dispose() => _redis.Dispose();

    private RedisLedgerStats Stats => app.Services.GetRequiredService<RedisLedgerStats>();

    [Fact]
    public async Task Heartbeats_are_served_from_redis_and_reach_postgres_after_a_flush()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "m1");
        var before = await HeartbeatCountAsync(lease.SessionId);

        for (var i = 0; i < 3; i++)
        {
            (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        (await _redis.GetDatabase().SortedSetScoreAsync(RedisScripts.Leases(license.Id), lease.SessionId.ToString("N"))).ShouldNotBeNull();
        await app.Services.GetRequiredService<HeartbeatWriteBehind>().FlushAsync(CancellationToken.None);
        (await HeartbeatCountAsync(lease.SessionId)).ShouldBe(before + 3);
    }

    [Fact]
    public async Task After_redis_loses_its_data_leases_live_on_and_the_seat_cap_holds()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 2);
        var first = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "m1");
        var second = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "m2");
        (await _anonymous.HeartbeatAsync(license.LicenseKey!, first.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var rebuilds = Stats.Rebuilds;

        await _redis.GetServer(_redis.GetEndPoints()[0]).FlushDatabaseAsync(_redis.GetDatabase().Database);

        await (await _anonymous.AcquireAsync(license.LicenseKey!, "m3")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);
        (await _anonymous.HeartbeatAsync(license.LicenseKey!, first.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await _anonymous.HeartbeatAsync(license.LicenseKey!, second.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);
        Stats.Rebuilds.ShouldBeGreaterThan(rebuilds);
        (await _redis.GetDatabase().SortedSetLengthAsync(RedisScripts.Leases(license.Id))).ShouldBe(2);
    }

    [Fact]
    public async Task A_lease_redis_still_holds_after_postgres_ended_it_is_repaired_by_reconciliation()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "m1");
        (await _anonymous.ReleaseAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        // Drift: Redis missed the release (say it was unreachable for that one call).
        var member = lease.SessionId.ToString("N");
        var expiry = app.Clock.GetUtcNow().AddMinutes(5).ToUnixTimeMilliseconds();
        await _redis.GetDatabase().SortedSetAddAsync(RedisScripts.Leases(license.Id), member, expiry);
        await _redis.GetDatabase().HashSetAsync(RedisScripts.Hardware(license.Id), member, "m1");
        var repaired = Stats.Repaired;

        await app.Services.GetRequiredService<LeaseSweeper>().SweepOnceAsync(CancellationToken.None);

        Stats.Repaired.ShouldBeGreaterThan(repaired);
        await (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).ShouldBeProblemAsync(HttpStatusCode.Gone, ProblemCodes.SessionReleased);
    }

    [Fact]
    public async Task After_a_complete_reconciliation_the_next_one_still_repairs_what_ended_since()
    {
        var sweeper = app.Services.GetRequiredService<LeaseSweeper>();
        await sweeper.SweepOnceAsync(CancellationToken.None); // from now on a pass reads only what ended since the last
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "m1");
        (await _anonymous.ReleaseAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var member = lease.SessionId.ToString("N");
        await _redis.GetDatabase().SortedSetAddAsync(RedisScripts.Leases(license.Id), member, app.Clock.GetUtcNow().AddMinutes(5).ToUnixTimeMilliseconds());
        await _redis.GetDatabase().HashSetAsync(RedisScripts.Hardware(license.Id), member, "m1");

        await sweeper.SweepOnceAsync(CancellationToken.None);

        (await _redis.GetDatabase().SortedSetScoreAsync(RedisScripts.Leases(license.Id), member)).ShouldBeNull();
        await (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).ShouldBeProblemAsync(HttpStatusCode.Gone, ProblemCodes.SessionReleased);
    }

    [Fact]
    public async Task A_live_lease_missing_from_redis_is_heartbeated_by_postgres_and_cached_again()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "m1");
        (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await _redis.GetDatabase().SortedSetRemoveAsync(RedisScripts.Leases(license.Id), lease.SessionId.ToString("N"));

        var response = await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId);

        (await response.ReadAsync<HeartbeatResponse>(HttpStatusCode.OK)).SessionId.ShouldBe(lease.SessionId);
        (await _redis.GetDatabase().SortedSetScoreAsync(RedisScripts.Leases(license.Id), lease.SessionId.ToString("N"))).ShouldNotBeNull();
    }

    [Fact]
    public async Task A_suspension_reaches_redis_served_heartbeats_at_once()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "m1");
        (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses/{license.Id}/suspend")).StatusCode.ShouldBe(HttpStatusCode.OK);

        await (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.LicenseSuspended);
    }

    [Fact]
    public async Task Near_the_end_of_what_postgres_has_committed_the_heartbeat_is_written_to_postgres_at_once()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var key = license.LicenseKey!;
        var lease = await _anonymous.AcquireSeatAsync(key, "m1");

        app.Clock.Advance(TimeSpan.FromSeconds(300)); // 60 s left of the lease PostgreSQL committed: less than a heartbeat interval
        var beat = await (await _anonymous.HeartbeatAsync(key, lease.SessionId)).ReadAsync<HeartbeatResponse>(HttpStatusCode.OK);

        // No write-behind has run, yet PostgreSQL already has the new expiry: Redis did not vouch for it alone.
        (await ExpiresAtAsync(lease.SessionId)).ShouldBe(beat.ExpiresAt, TimeSpan.FromMilliseconds(1));
        app.Clock.Advance(TimeSpan.FromSeconds(100)); // past the first expiry
        await (await _anonymous.AcquireAsync(key, "m2")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);
    }

    [Fact]
    public async Task A_lease_a_stopped_node_extended_only_in_redis_keeps_its_seat_until_the_promised_end()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var key = license.LicenseKey!;
        var lease = await _anonymous.AcquireSeatAsync(key, "m1");
        var committed = await ExpiresAtAsync(lease.SessionId);

        // A node answered a heartbeat from Redis, then died before its write-behind reached PostgreSQL.
        var promised = committed.AddMinutes(3);
        await _redis.GetDatabase().SortedSetAddAsync(RedisScripts.Leases(license.Id), lease.SessionId.ToString("N"), RedisSeatLedger.Millis(promised));
        app.Clock.Advance(committed - app.Clock.GetUtcNow().UtcDateTime + TimeSpan.FromSeconds(1)); // past what PostgreSQL knows

        await app.Services.GetRequiredService<LeaseSweeper>().SweepOnceAsync(CancellationToken.None);

        (await ExpiresAtAsync(lease.SessionId)).ShouldBe(promised, TimeSpan.FromMilliseconds(1));
        await (await _anonymous.AcquireAsync(key, "m2")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);
        var again = await _anonymous.AcquireAsync(key, "m1");
        (await again.ReadAsync<AcquireResponse>(HttpStatusCode.OK)).SessionId.ShouldBe(lease.SessionId, "the same lease, renewed");
    }

    [Fact]
    public async Task A_heartbeat_on_a_lease_a_stopped_node_extended_only_in_redis_is_answered_by_postgres()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var key = license.LicenseKey!;
        var lease = await _anonymous.AcquireSeatAsync(key, "m1");
        var committed = await ExpiresAtAsync(lease.SessionId);
        var promised = committed.AddMinutes(3);
        await _redis.GetDatabase().SortedSetAddAsync(RedisScripts.Leases(license.Id), lease.SessionId.ToString("N"), RedisSeatLedger.Millis(promised));
        app.Clock.Advance(committed - app.Clock.GetUtcNow().UtcDateTime + TimeSpan.FromSeconds(1));

        var beat = await (await _anonymous.HeartbeatAsync(key, lease.SessionId)).ReadAsync<HeartbeatResponse>(HttpStatusCode.OK);

        (await ExpiresAtAsync(lease.SessionId)).ShouldBe(beat.ExpiresAt, TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task A_licences_first_acquire_loads_its_redis_cache_so_its_first_heartbeat_is_served_by_redis()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 2);
        var loaded = Stats.Rebuilds;

        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "m1");

        Stats.Rebuilds.ShouldBe(loaded + 1);
        var database = _redis.GetDatabase();
        (await database.KeyExistsAsync(RedisScripts.Ready(license.Id))).ShouldBeTrue();
        (await database.SortedSetScoreAsync(RedisScripts.Leases(license.Id), lease.SessionId.ToString("N"))).ShouldNotBeNull();
        var rebuilds = Stats.Rebuilds;
        var fallbacks = Stats.Fallbacks;

        var beat = await (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).ReadAsync<HeartbeatResponse>(HttpStatusCode.OK);

        Stats.Rebuilds.ShouldBe(rebuilds, "the heartbeat found the cache loaded");
        Stats.Fallbacks.ShouldBe(fallbacks);
        (await database.SortedSetScoreAsync(RedisScripts.Leases(license.Id), lease.SessionId.ToString("N")))
            .ShouldBe((double)RedisSeatLedger.Millis(beat.ExpiresAt), "Redis holds the heartbeat's expiry");
    }

    [Fact]
    public async Task A_deleted_licence_leaves_nothing_in_redis()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 2);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "m1");
        (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await app.Services.GetRequiredService<HeartbeatWriteBehind>().FlushAsync(CancellationToken.None);
        var database = _redis.GetDatabase();
        async Task<int> CachedKeys()
        {
            var exists = await Task.WhenAll(RedisSeatLedger.Keys(license.Id).Select(k => database.KeyExistsAsync(k)));
            return exists.Count(e => e);
        }

        (await CachedKeys()).ShouldBeGreaterThanOrEqualTo(3, "leases, hardware and ready (and confirmed once flushed)");

        (await vendor.Client.DeleteAsync($"{vendor.OrgPath}/licenses/{license.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        // At once on this node (the licence copy is dropped before the answer); the keys go once in the cluster, after commit.
        await (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.LicenseNotFound);
        await Eventually.ShouldHoldAsync(async () => await CachedKeys() == 0, TimeSpan.FromSeconds(10), "the licence's Redis keys are dropped");
        await (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.LicenseNotFound);
        (await CachedKeys()).ShouldBe(0);
    }

    [Fact]
    public async Task A_deleted_organization_stops_its_licences_at_once_and_leaves_nothing_in_redis()
    {
        var vendor = await _anonymous.RegisterAsync();
        var licenses = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => vendor.CreateLicenseAsync(seats: 2)));
        var leases = new List<(LicenseResponse License, AcquireResponse Lease)>();
        foreach (var license in licenses)
        {
            var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "m1");
            (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);
            leases.Add((license, lease));
        }

        var database = _redis.GetDatabase();
        async Task<int> CachedKeys()
        {
            var exists = await Task.WhenAll(licenses.SelectMany(l => RedisSeatLedger.Keys(l.Id)).Select(k => database.KeyExistsAsync(k)));
            return exists.Count(e => e);
        }

        (await CachedKeys()).ShouldBeGreaterThanOrEqualTo(9);

        (await vendor.Client.DeleteAsync(vendor.OrgPath)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        foreach (var (license, lease) in leases)
        {
            await (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId))
                .ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.LicenseNotFound);
        }

        await Eventually.ShouldHoldAsync(async () => await CachedKeys() == 0, TimeSpan.FromSeconds(10), "every licence's Redis keys are dropped");
    }

    [Fact]
    public async Task A_licence_suspended_through_one_node_is_refused_by_the_other_within_a_second()
    {
        await using var nodeB = new SecondNode(app);
        var clientB = nodeB.Anonymous();
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 2);
        var lease = await clientB.AcquireSeatAsync(license.LicenseKey!, "m1");
        (await clientB.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK, "node b holds a copy of the licence");

        (await vendor.Client.PostAsync($"{vendor.OrgPath}/licenses/{license.Id}/suspend")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var suspendedAt = DateTime.UtcNow;
        await Eventually.ShouldHoldAsync(async () =>
            (await clientB.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).StatusCode == HttpStatusCode.Forbidden,
            TimeSpan.FromSeconds(3), "node b refuses the suspended licence (its copy would otherwise live 60 s)");
        (DateTime.UtcNow - suspendedAt).ShouldBeLessThan(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task One_flush_confirms_in_redis_what_postgres_committed_for_every_licence_it_wrote()
    {
        // More licences than one confirmation call carries, so the flush splits them over several calls.
        var vendor = await _anonymous.RegisterAsync();
        var leases = new List<(LicenseResponse License, AcquireResponse Lease)>();
        foreach (var chunk in Enumerable.Range(0, 205).Chunk(20))
        {
            leases.AddRange(await Task.WhenAll(chunk.Select(async i =>
            {
                var license = await vendor.CreateLicenseAsync(seats: 1);
                return (license, await _anonymous.AcquireSeatAsync(license.LicenseKey!, $"m{i}"));
            })));
        }

        app.Clock.Advance(TimeSpan.FromMilliseconds(20)); // so every heartbeat's expiry is later than its acquire's
        foreach (var (license, lease) in leases)
        {
            (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await app.Services.GetRequiredService<HeartbeatWriteBehind>().FlushAsync(CancellationToken.None);

        var database = _redis.GetDatabase();
        foreach (var (license, lease) in leases)
        {
            var committed = await ExpiresAtAsync(lease.SessionId);
            committed.ShouldBeGreaterThan(lease.ExpiresAt);
            var confirmed = (long)await database.HashGetAsync(RedisScripts.Confirmed(license.Id), lease.SessionId.ToString("N"));
            confirmed.ShouldBe(RedisSeatLedger.Millis(committed), $"licence {license.Id}");
        }
    }

    private async Task<DateTime> ExpiresAtAsync(Guid sessionId) =>
        (DateTime)(await app.SystemScalarAsync("select expires_at from license_sessions where id = $1", sessionId))!;

    private async Task<long> HeartbeatCountAsync(Guid sessionId) =>
        (long)(await app.SystemScalarAsync("select heartbeat_count from license_sessions where id = $1", sessionId))!;
}

/// <summary>Redis configured but unreachable: PostgreSQL serves every call, and no seat is over-allocated.</summary>
public sealed class RedisDownTests(RedisDownTests.App app) : IClassFixture<RedisDownTests.App>
{
    public sealed class App : CoditectApp
    {
        public override Coditect.Server.Data.DatabaseProvider Provider => Coditect.Server.Data.DatabaseProvider.Postgres;

        // A port nothing listens on, with short timeouts so the test does not wait long for each failure.
        protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
            [new("ConnectionStrings:Redis", "127.0.0.1:1,connectTimeout=200,syncTimeout=200,connectRetry=1")];
    }

    [Fact]
    public async Task Without_redis_the_lease_protocol_works_on_postgres_alone()
    {
        var anonymous = app.Anonymous();
        var vendor = await anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);

        var lease = await anonymous.AcquireSeatAsync(license.LicenseKey!, "m1");
        await (await anonymous.AcquireAsync(license.LicenseKey!, "m2")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);
        (await anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await anonymous.ReleaseAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await anonymous.AcquireAsync(license.LicenseKey!, "m2")).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await anonymous.Http.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
        app.Services.GetRequiredService<RedisLedgerStats>().Fallbacks.ShouldBeGreaterThan(0);
    }
}

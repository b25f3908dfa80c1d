using System.Globalization;
using System.Net;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Data;
using Coditect.Server.Licensing;
using Coditect.Server.Licensing.Ledger;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using StackExchange.Redis;

namespace Coditect.Server.Tests.Licensing;

// Every test uses licences of its own, and the protocol limits are per licence: the tests of a class do not interfere.

public abstract class LeaseRateLimitTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task Protocol_calls_past_the_licence_limit_answer_429_with_Retry_After_and_another_licence_is_unaffected()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 20);
        var other = await vendor.CreateLicenseAsync(seats: 1);
        var first = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-0");
        for (var i = 1; i < TightLeaseLimits.LicensePerMinute; i++)
        {
            await _anonymous.AcquireSeatAsync(license.LicenseKey!, $"machine-{i}"); // one call per machine: only the licence fills
        }

        var over = await _anonymous.AcquireAsync(license.LicenseKey!, "machine-new");

        var problem = await over.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, ProblemCodes.RateLimited);
        var retryAfter = int.Parse(over.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture);
        retryAfter.ShouldBeInRange(1, 60);
        problem.GetProperty("retry_after_seconds").GetInt32().ShouldBe(retryAfter);
        (await vendor.Client.GetJsonAsync<LicenseResponse>($"{vendor.OrgPath}/licenses/{license.Id}"))
            .SeatsUsed.ShouldBe(TightLeaseLimits.LicensePerMinute, "the refused acquire reached no seat ledger");
        await (await _anonymous.HeartbeatAsync(license.LicenseKey!, first.SessionId)).ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, ProblemCodes.RateLimited);
        await (await _anonymous.PostAsync("/api/v1/licenses/validate", new ValidateRequest(license.LicenseKey)))
            .ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, ProblemCodes.RateLimited);
        (await _anonymous.AcquireAsync(other.LicenseKey!, "machine-0")).StatusCode.ShouldBe(HttpStatusCode.Created, "another licence has a budget of its own");
    }

    [Fact]
    public async Task Heartbeats_past_the_session_limit_answer_429_and_another_session_of_the_licence_goes_on()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 2);
        var runaway = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-1");
        var steady = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-2");
        for (var i = 0; i < TightLeaseLimits.SessionPerMinute; i++)
        {
            (await _anonymous.HeartbeatAsync(license.LicenseKey!, runaway.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var over = await _anonymous.HeartbeatAsync(license.LicenseKey!, runaway.SessionId);

        await over.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, ProblemCodes.RateLimited);
        over.Headers.RetryAfter.ShouldNotBeNull();
        for (var i = 0; i < 2 * TightLeaseLimits.LicensePerMinute; i++)
        {
            await (await _anonymous.HeartbeatAsync(license.LicenseKey!, runaway.SessionId)).ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, ProblemCodes.RateLimited);
        }

        await (await _anonymous.ReleaseAsync(license.LicenseKey!, runaway.SessionId)).ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, ProblemCodes.RateLimited);
        (await _anonymous.HeartbeatAsync(license.LicenseKey!, steady.SessionId)).StatusCode
            .ShouldBe(HttpStatusCode.OK, "calls refused for their session do not spend the licence's budget");
        (await _anonymous.ReleaseAsync(license.LicenseKey!, steady.SessionId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Acquires_are_limited_per_machine_and_validate_with_a_hardware_id_counts_against_the_same_machine()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 3);
        (await _anonymous.AcquireAsync(license.LicenseKey!, "machine-1")).StatusCode.ShouldBe(HttpStatusCode.Created);
        for (var i = 1; i < TightLeaseLimits.SessionPerMinute; i++)
        {
            (await _anonymous.AcquireAsync(license.LicenseKey!, "machine-1")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var over = await _anonymous.AcquireAsync(license.LicenseKey!, "machine-1");

        await over.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, ProblemCodes.RateLimited);
        await (await _anonymous.PostAsync("/api/v1/licenses/validate", new ValidateRequest(license.LicenseKey, "machine-1")))
            .ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, ProblemCodes.RateLimited);
        (await _anonymous.AcquireAsync(license.LicenseKey!, "machine-2")).StatusCode.ShouldBe(HttpStatusCode.Created, "another machine has a budget of its own");
        (await _anonymous.ValidateAsync(license.LicenseKey!)).Valid.ShouldBeTrue("validate without a hardware id counts against the licence alone");
    }

    [Fact]
    public async Task A_malformed_call_answers_400_even_over_the_limit_and_is_not_counted()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var lease = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-1");
        for (var i = 0; i < 2 * TightLeaseLimits.LicensePerMinute; i++)
        {
            await (await _anonymous.HeartbeatAsync(license.LicenseKey!, Guid.Empty)).ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
            await (await _anonymous.AcquireAsync(license.LicenseKey!, " ")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        }

        for (var i = 0; i < TightLeaseLimits.SessionPerMinute; i++)
        {
            (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK, "the invalid calls were not counted");
        }

        await (await _anonymous.HeartbeatAsync(license.LicenseKey!, lease.SessionId)).ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, ProblemCodes.RateLimited);
        await (await _anonymous.PostAsync("/api/v1/licenses/heartbeat", new HeartbeatRequest(license.LicenseKey, null)))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        (await _anonymous.ValidateAsync(license.LicenseKey!)).Valid.ShouldBeTrue("the licence still has budget: the invalid calls were not counted");
    }
}

internal static class TightLeaseLimits
{
    public const int LicensePerMinute = 8;
    public const int SessionPerMinute = 3;

    public static KeyValuePair<string, string?>[] Settings =>
    [
        new("RateLimits:LicensePerMinute", LicensePerMinute.ToString(CultureInfo.InvariantCulture)),
        new("RateLimits:SessionPerMinute", SessionPerMinute.ToString(CultureInfo.InvariantCulture)),
    ];
}

public sealed class LeaseLimitedSqliteApp : CoditectApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => TightLeaseLimits.Settings;
}

public sealed class LeaseLimitedPostgresApp : CoditectApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => TightLeaseLimits.Settings;
}

public sealed class LeaseRateLimitTestsOnSqlite(LeaseLimitedSqliteApp app) : LeaseRateLimitTests<LeaseLimitedSqliteApp>(app);

public sealed class LeaseRateLimitTestsOnPostgres(LeaseLimitedPostgresApp app) : LeaseRateLimitTests<LeaseLimitedPostgresApp>(app);

/// <summary>With Redis, the nodes share each licence's and each session's budget, counted in one script per call.</summary>
public sealed class SharedLeaseRateLimitTests(SharedLeaseRateLimitTests.App app) : IClassFixture<SharedLeaseRateLimitTests.App>
{
    public sealed class App : CoditectApp
    {
        private readonly (string ConnectionString, int Database) _redis = TestRedis.NextDatabase();

        public override DatabaseProvider Provider => DatabaseProvider.Postgres;

        public (string ConnectionString, int Database) Redis => _redis;

        protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
            [new("ConnectionStrings:Redis", _redis.ConnectionString), .. TightLeaseLimits.Settings];

        /// <summary>Another server process's worth of host on the same database and Redis.</summary>
        public WebApplicationFactory<Program> SecondNode() => WithWebHostBuilder(_ => { });
    }

    [Fact]
    public async Task Protocol_calls_on_two_nodes_count_against_one_session_and_one_licence_and_Redis_holds_only_the_key_hash()
    {
        await using var second = app.SecondNode();
        var nodeA = app.Anonymous();
        var nodeB = new Client(second.CreateClient(), app);
        var vendor = await nodeA.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 20);
        var key = license.LicenseKey!;
        var lease = await nodeA.AcquireSeatAsync(key, "machine-0");

        foreach (var node in new[] { nodeB, nodeA, nodeB })
        {
            (await node.HeartbeatAsync(key, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await (await nodeA.HeartbeatAsync(key, lease.SessionId)).ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, ProblemCodes.RateLimited);
        var counted = 1 + TightLeaseLimits.SessionPerMinute; // the acquire and the heartbeats the session allowed
        for (var i = 1; counted < TightLeaseLimits.LicensePerMinute; i++, counted++)
        {
            await (i % 2 == 0 ? nodeA : nodeB).AcquireSeatAsync(key, $"machine-{i}");
        }

        var over = await nodeB.AcquireAsync(key, "machine-new");
        await over.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, ProblemCodes.RateLimited);
        over.Headers.RetryAfter.ShouldNotBeNull();

        using var redis = await ConnectionMultiplexer.ConnectAsync(app.Redis.ConnectionString);
        var database = redis.GetDatabase();
        var licenseWindow = $"cdx:rl:{{L:{LicenseKeys.Hash(key)}}}";
        ((int)await database.StringGetAsync(licenseWindow)).ShouldBe(TightLeaseLimits.LicensePerMinute + 1);
        ((int)await database.StringGetAsync($"{licenseWindow}:s:{lease.SessionId:N}")).ShouldBe(TightLeaseLimits.SessionPerMinute + 1);
        (await database.KeyTimeToLiveAsync(licenseWindow)).ShouldNotBeNull();
        var server = redis.GetServer(redis.GetEndPoints().Single());
        server.Keys(app.Redis.Database, $"*{LicenseKeys.Normalize(key)}*").ShouldBeEmpty("the licence key itself never reaches Redis");
        server.Keys(app.Redis.Database, $"*{key}*").ShouldBeEmpty();
    }
}

using System.Net;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Licensing;

/// <summary>PostgreSQL as the record and a Redis that never answers (nothing listens on its port).</summary>
public sealed class DeadRedisApp : CoditectApp
{
    public override Coditect.Server.Data.DatabaseProvider Provider => Coditect.Server.Data.DatabaseProvider.Postgres;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [new("ConnectionStrings:Redis", "127.0.0.1:9,connectTimeout=200,syncTimeout=200,abortConnect=false")];
}

/// <summary>A failure path logs one line per kind per 10 s with a count, not a line per call.</summary>
public sealed class RedisOutageLogTests(DeadRedisApp app) : IClassFixture<DeadRedisApp>
{
    [Fact]
    public async Task Hundreds_of_calls_served_by_postgres_while_redis_is_down_log_a_line_or_two_per_kind()
    {
        var client = app.Anonymous();
        var vendor = await client.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 5);
        var leases = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            leases.Add((await client.AcquireSeatAsync(license.LicenseKey!, $"m{i}")).SessionId);
        }

        // Ten at a time: the point is how many lines 300 fallbacks log, not how PostgreSQL copes with a burst.
        var answers = new List<HttpResponseMessage>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var batch in Enumerable.Range(0, 300).Chunk(10))
        {
            answers.AddRange(await Task.WhenAll(batch.Select(i => client.HeartbeatAsync(license.LicenseKey!, leases[i % 5]))));
        }

        answers.ShouldAllBe(a => a.StatusCode == HttpStatusCode.OK, "PostgreSQL serves every heartbeat");
        var fallbacks = app.LogSink.Lines.Count(l => l.Contains("heartbeats served by PostgreSQL", StringComparison.Ordinal));
        var skips = app.LogSink.Lines.Count(l => l.Contains("Redis updates skipped", StringComparison.Ordinal));
        // One line when the first failure happens, then at most one per 10 s window the calls spanned (a loaded machine
        // stretches 300 calls over more than one window).
        var windows = 1 + (int)Math.Ceiling(clock.Elapsed.TotalSeconds / 10);
        fallbacks.ShouldBeInRange(1, windows, $"one line per 10 s for 300 fallbacks over {clock.Elapsed.TotalSeconds:F0} s");
        skips.ShouldBeInRange(1, 2, "one line per 10 s for the skipped Redis updates of 5 acquires");
    }
}

using Coditect.Server.Data;
using Coditect.Server.Platform;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coditect.Server.Tests.Platform;

/// <summary>A cluster job runs once per period in the whole cluster, and another node takes over from a holder that stopped.</summary>
public abstract class ClusterJobTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    [Fact]
    public async Task Of_two_nodes_one_runs_the_job_once_per_period_and_the_other_takes_over_when_the_holder_stops()
    {
        var name = "test-" + Guid.NewGuid().ToString("N")[..8];
        var scopes = app.Services.GetRequiredService<IServiceScopeFactory>();
        var nodeA = new CountingJob(scopes, app.Clock, name);
        var nodeB = new CountingJob(scopes, app.Clock, name);

        (await nodeA.TickAsync(CancellationToken.None)).ShouldBeTrue("the first node takes the lease and runs");
        (await nodeB.TickAsync(CancellationToken.None)).ShouldBeFalse("the lease is held");
        (await nodeA.TickAsync(CancellationToken.None)).ShouldBeFalse("not due again within the period");

        app.Clock.Advance(TimeSpan.FromMinutes(11)); // past the period and past A's lease: A stopped renewing
        (await nodeB.TickAsync(CancellationToken.None)).ShouldBeTrue("the other node takes over");
        (await nodeA.TickAsync(CancellationToken.None)).ShouldBeFalse("the new holder keeps it");
        (nodeA.Runs + nodeB.Runs).ShouldBe(2);
    }

    [Fact]
    public async Task A_holder_that_stops_cleanly_hands_the_job_over_before_its_hold_ends()
    {
        var name = "test-" + Guid.NewGuid().ToString("N")[..8];
        var scopes = app.Services.GetRequiredService<IServiceScopeFactory>();
        var nodeA = new CountingJob(scopes, app.Clock, name);
        var nodeB = new CountingJob(scopes, app.Clock, name);
        (await nodeA.TickAsync(CancellationToken.None)).ShouldBeTrue();

        await nodeA.StopAsync(CancellationToken.None);
        app.Clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1)); // due again, but within A's hold (10 min 30 s)
        (await nodeB.TickAsync(CancellationToken.None)).ShouldBeTrue("A gave the job up when it stopped");
    }

    [Fact]
    public async Task A_job_with_a_short_hold_is_taken_over_soon_after_its_holder_dies()
    {
        var name = "test-" + Guid.NewGuid().ToString("N")[..8];
        var scopes = app.Services.GetRequiredService<IServiceScopeFactory>();
        var nodeA = new CountingJob(scopes, app.Clock, name, TimeSpan.FromSeconds(5));
        var nodeB = new CountingJob(scopes, app.Clock, name, TimeSpan.FromSeconds(5));
        (await nodeA.TickAsync(CancellationToken.None)).ShouldBeTrue();

        app.Clock.Advance(TimeSpan.FromSeconds(4)); // A died: it renews no more
        (await nodeB.TickAsync(CancellationToken.None)).ShouldBeFalse("A's hold has not ended");
        app.Clock.Advance(TimeSpan.FromSeconds(2));
        (await nodeB.TickAsync(CancellationToken.None)).ShouldBeFalse("B holds it now, but the period has not passed");
        app.Clock.Advance(TimeSpan.FromMinutes(10));
        (await nodeB.TickAsync(CancellationToken.None)).ShouldBeTrue();
        nodeA.Runs.ShouldBe(1);
    }

    [Fact]
    public async Task A_holder_writes_its_row_only_when_half_its_hold_is_spent()
    {
        var name = "test-" + Guid.NewGuid().ToString("N")[..8];
        var scopes = app.Services.GetRequiredService<IServiceScopeFactory>();
        var node = new CountingJob(scopes, app.Clock, name, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));
        async Task<ClusterJobLease> Row()
        {
            await using var scope = scopes.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<CoditectDbContext>().Set<ClusterJobLease>().AsNoTracking().SingleAsync(j => j.Name == name);
        }

        var start = app.Clock.GetUtcNow().UtcDateTime;
        (await node.TickAsync(CancellationToken.None)).ShouldBeTrue();
        var first = await Row();
        first.LeaseUntil!.Value.ShouldBe(start + TimeSpan.FromSeconds(5), Stored);
        first.LastRunAt!.Value.ShouldBe(start, Stored);

        // Due every second, run every second, but the row stays as it was while more than half the hold is left.
        for (var second = 1; second <= 2; second++)
        {
            app.Clock.Advance(TimeSpan.FromSeconds(1));
            (await node.TickAsync(CancellationToken.None)).ShouldBeTrue($"second {second}");
            var row = await Row();
            row.LeaseUntil.ShouldBe(first.LeaseUntil, $"second {second}");
            row.LastRunAt.ShouldBe(first.LastRunAt, $"second {second}");
        }

        // Half the hold spent: the lease is renewed and the run recorded.
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        (await node.TickAsync(CancellationToken.None)).ShouldBeTrue();
        var renewed = await Row();
        renewed.LeaseUntil!.Value.ShouldBe(start + TimeSpan.FromSeconds(3 + 5), Stored);
        renewed.LastRunAt!.Value.ShouldBe(start + TimeSpan.FromSeconds(3), Stored);
        node.Runs.ShouldBe(4);
    }

    /// <summary>Times come back at the database's precision (microseconds on PostgreSQL).</summary>
    private static readonly TimeSpan Stored = TimeSpan.FromMilliseconds(1);

    private sealed class CountingJob(IServiceScopeFactory scopes, TimeProvider clock, string name, TimeSpan? hold = null, TimeSpan? period = null)
        : ClusterJob(scopes, clock, NullLogger.Instance)
    {
        public int Runs;

        protected override string Name => name;

        protected override TimeSpan Period => period ?? TimeSpan.FromMinutes(10);

        protected override TimeSpan Hold => hold ?? base.Hold;

        protected override Task RunAsync(IServiceProvider services, CancellationToken ct)
        {
            Interlocked.Increment(ref Runs);
            return Task.CompletedTask;
        }
    }
}

public sealed class ClusterJobTestsOnSqlite(SqliteApp app) : ClusterJobTests<SqliteApp>(app);

public sealed class ClusterJobTestsOnPostgres(PostgresApp app) : ClusterJobTests<PostgresApp>(app);

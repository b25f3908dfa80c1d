using Coditect.Server.Platform;
using Coditect.Server.Tests.Infrastructure;
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

    private sealed class CountingJob(IServiceScopeFactory scopes, TimeProvider clock, string name)
        : ClusterJob(scopes, clock, NullLogger.Instance)
    {
        public int Runs;

        protected override string Name => name;

        protected override TimeSpan Period => TimeSpan.FromMinutes(10);

        protected override Task RunAsync(IServiceProvider services, CancellationToken ct)
        {
            Interlocked.Increment(ref Runs);
            return Task.CompletedTask;
        }
    }
}

public sealed class ClusterJobTestsOnSqlite(SqliteApp app) : ClusterJobTests<SqliteApp>(app);

public sealed class ClusterJobTestsOnPostgres(PostgresApp app) : ClusterJobTests<PostgresApp>(app);

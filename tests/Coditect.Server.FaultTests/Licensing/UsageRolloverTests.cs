using Coditect.Server.FaultTests.Infrastructure;
using Npgsql;

namespace Coditect.Server.FaultTests.Licensing;

/// <summary>
/// At the start of every hour the licence's usage row for that hour does not exist yet, so the first acquires, releases
/// and sweeps of the hour race to insert it (and its foreign key check reads the licence row that acquire locks). The
/// test makes every moment such a moment by deleting the licence's usage rows over and over while clients churn.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class UsageRolloverTests(Backends backends)
{
    [Theory]
    [InlineData(Ledger.Postgres)]
    public async Task Acquires_and_releases_racing_into_a_new_usage_hour_never_deadlock(Ledger ledger)
    {
        await using var cluster = await Cluster.StartAsync(backends, ledger, nodes: 1);
        var license = await cluster.CreateLicenseAsync(seats: 10);
        var load = new SeatLoad(cluster.Nodes, license.LicenseKey!, "churn") { HoldMilliseconds = (5, 50), BackoffMilliseconds = (10, 60) };
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(8));
        var churn = load.RunAsync(clients: 60, stop.Token);

        var rollovers = 0;
        await using (var admin = new NpgsqlConnection(cluster.AdminConnectionString))
        {
            await admin.OpenAsync();
            while (!stop.IsCancellationRequested)
            {
                await using var delete = new NpgsqlCommand("delete from license_usage where license_id = $1", admin)
                {
                    Parameters = { new NpgsqlParameter { Value = license.Id } },
                };
                await delete.ExecuteNonQueryAsync();
                rollovers++;
                await Task.Delay(50, CancellationToken.None);
            }
        }

        await churn;
        load.Grants.Count.ShouldBeGreaterThan(50, load.Summary);
        var postgresLog = string.Join('\n', backends.Postgres.ServerLog().Split('\n')
            .Where(l => l.Contains("deadlock", StringComparison.Ordinal) || l.Contains("Process ", StringComparison.Ordinal)).TakeLast(12));
        load.Incidents.ShouldBeEmpty($"{rollovers} rollovers; {load.Summary}\n{postgresLog}\n{cluster.Logs(10)}");
    }
}

using Coditect.Server.Licensing.Ledger;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Coditect.Server.Tests.Licensing;

/// <summary>
/// The Redis ledger's write-behind writes many heartbeats in one statement, and every node flushes its own. Two nodes
/// hold heartbeats of the same sessions, each in its own order: their flushes must not deadlock.
/// </summary>
public sealed class HeartbeatFlushTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    [Fact]
    public async Task Two_flushes_of_the_same_sessions_in_opposite_orders_both_commit()
    {
        var vendor = await app.Anonymous().RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 300);
        var client = app.Anonymous();
        var sessions = new List<Guid>();
        foreach (var batch in Enumerable.Range(0, 300).Chunk(30))
        {
            sessions.AddRange((await Task.WhenAll(batch.Select(i => client.AcquireSeatAsync(license.LicenseKey!, $"flush-{i}"))))
                .Select(lease => lease.SessionId));
        }

        var ledger = app.Services.GetRequiredService<PostgresSeatLedger>();
        var ticks = app.Clock.GetUtcNow().UtcTicks;
        var now = new DateTime(ticks - ticks % 10, DateTimeKind.Utc); // to the microsecond PostgreSQL stores
        for (var round = 1; round <= 10; round++)
        {
            var expiresAt = now.AddMinutes(10 + round);
            var ascending = sessions.Order().Select(id => new PendingHeartbeat(id, expiresAt, now, now, 1)).ToList();
            var descending = ascending.AsEnumerable().Reverse().Select(h => h with { ExpiresAt = expiresAt.AddSeconds(1) }).ToList();

            // Each would wait for the other's rows and one would fail with 40P01 (deadlock detected).
            var flushed = await Task.WhenAll(
                ledger.FlushHeartbeatsAsync(ascending, now, CancellationToken.None),
                ledger.FlushHeartbeatsAsync(descending, now, CancellationToken.None));

            flushed[1].Count.ShouldBe(sessions.Count, $"round {round}: the later expiry extends every lease, whichever flush ran first");
            (await ExpiriesAsync(sessions)).ShouldAllBe(e => e == expiresAt.AddSeconds(1));
        }
    }

    private async Task<List<DateTime>> ExpiriesAsync(List<Guid> sessions)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var system = new NpgsqlCommand("SELECT set_config('app.system', 'on', true)", connection, transaction))
        {
            await system.ExecuteScalarAsync();
        }

        await using var read = new NpgsqlCommand("SELECT expires_at FROM license_sessions WHERE id = ANY($1)", connection, transaction)
        {
            Parameters = { new() { Value = sessions.ToArray() } },
        };
        var expiries = new List<DateTime>();
        await using var reader = await read.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            expiries.Add(reader.GetDateTime(0));
        }

        expiries.Count.ShouldBe(sessions.Count);
        return expiries;
    }
}

using Coditect.Server.Licensing.Ledger;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Licensing;

/// <summary>
/// The Redis ledger writes many sessions in one statement: every node flushes its write-behind, and reconciliation
/// adopts the expiries a stopped node promised. Two such statements over the same sessions, each in its own order,
/// must not deadlock.
/// </summary>
public sealed class HeartbeatFlushTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    private const int Sessions = 300;

    [Fact]
    public async Task Two_flushes_of_the_same_sessions_in_opposite_orders_both_commit()
    {
        var (ledger, sessions, now) = await HeldSessionsAsync("flush");
        for (var round = 1; round <= 10; round++)
        {
            var expiresAt = now.AddMinutes(10 + round);
            var ascending = sessions.Select(id => new PendingHeartbeat(id, expiresAt, now, now, 1)).ToList();
            var descending = ascending.AsEnumerable().Reverse().Select(h => h with { ExpiresAt = expiresAt.AddSeconds(1) }).ToList();

            // Each would wait for the other's rows and one would fail with 40P01 (deadlock detected).
            var flushed = await Task.WhenAll(
                ledger.FlushHeartbeatsAsync(ascending, now, CancellationToken.None),
                ledger.FlushHeartbeatsAsync(descending, now, CancellationToken.None));

            flushed[1].Count.ShouldBe(Sessions, $"round {round}: the later expiry extends every lease, whichever flush ran first");
            (await CountExpiringAtAsync(sessions, expiresAt.AddSeconds(1))).ShouldBe(Sessions);
        }
    }

    [Fact]
    public async Task A_flush_and_an_adoption_of_the_same_sessions_in_opposite_orders_both_commit()
    {
        var (ledger, sessions, now) = await HeldSessionsAsync("adopt");
        for (var round = 1; round <= 10; round++)
        {
            var expiresAt = now.AddMinutes(10 + round);
            var flush = sessions.Select(id => new PendingHeartbeat(id, expiresAt, now, now, 1)).ToList();
            var promised = sessions.AsEnumerable().Reverse().Select(id => (id, expiresAt.AddSeconds(1))).ToList();

            var flushing = ledger.FlushHeartbeatsAsync(flush, now, CancellationToken.None);
            var adopting = ledger.AdoptExpiriesAsync(promised, now, CancellationToken.None);
            await Task.WhenAll(flushing, adopting);

            (await adopting).Count.ShouldBe(Sessions, $"round {round}: the later expiry extends every lease, whichever ran first");
            (await CountExpiringAtAsync(sessions, expiresAt.AddSeconds(1))).ShouldBe(Sessions);
        }
    }

    /// <summary>A licence with every one of its seats held, its sessions in id order, and the test's clock.</summary>
    private async Task<(PostgresSeatLedger Ledger, List<Guid> Sessions, DateTime Now)> HeldSessionsAsync(string prefix)
    {
        var vendor = await app.Anonymous().RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: Sessions);
        var client = app.Anonymous();
        var sessions = new List<Guid>();
        foreach (var batch in Enumerable.Range(0, Sessions).Chunk(30))
        {
            sessions.AddRange((await Task.WhenAll(batch.Select(i => client.AcquireSeatAsync(license.LicenseKey!, $"{prefix}-{i}"))))
                .Select(lease => lease.SessionId));
        }

        var ticks = app.Clock.GetUtcNow().UtcTicks;
        var now = new DateTime(ticks - ticks % 10, DateTimeKind.Utc); // to the microsecond PostgreSQL stores
        return (app.Services.GetRequiredService<PostgresSeatLedger>(), [.. sessions.Order()], now);
    }

    private async Task<long> CountExpiringAtAsync(List<Guid> sessions, DateTime expiresAt) =>
        (long)(await app.SystemScalarAsync("select count(*) from license_sessions where id = any($1) and expires_at = $2",
            sessions.ToArray(), expiresAt))!;
}

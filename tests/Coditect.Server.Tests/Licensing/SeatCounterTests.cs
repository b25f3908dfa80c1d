using System.Net;
using Coditect.Contracts.Licensing;
using Coditect.Server.Licensing;
using Coditect.Server.Licensing.Ledger;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Coditect.Server.Tests.Licensing;

/// <summary>
/// The PostgreSQL ledger decides with a counter on the licence row (licenses.seats_held, ADR 0009) instead of counting
/// sessions. Every path that starts or ends a session must keep it equal to the licence's unended sessions.
/// </summary>
public sealed class SeatCounterTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task Acquire_release_kick_lapse_reclaim_and_sweep_keep_the_counter_equal_to_the_unended_sessions()
    {
        var vendor = await app.Anonymous().RegisterAsync();
        var full = await vendor.CreateLicenseAsync(seats: 5);
        var other = await vendor.CreateLicenseAsync(seats: 3);

        // 40 machines race for 5 seats.
        var first = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => _anonymous.AcquireAsync(full.LicenseKey!, $"a-{i}")));
        first.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(5);
        await ShouldMatchAsync(full.Id, expected: 5);

        // Two releases (one of them twice: the second is a no-op) and one kick free three seats.
        var held = new List<(AcquireResponse Lease, string HardwareId)>();
        for (var i = 0; i < first.Length; i++)
        {
            if (first[i].StatusCode == HttpStatusCode.Created)
            {
                held.Add((await first[i].ReadAsync<AcquireResponse>(HttpStatusCode.Created), $"a-{i}"));
            }
        }

        (await _anonymous.ReleaseAsync(full.LicenseKey!, held[0].Lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await _anonymous.ReleaseAsync(full.LicenseKey!, held[0].Lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await _anonymous.ReleaseAsync(full.LicenseKey!, held[1].Lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await vendor.Client.Http.DeleteAsync($"{vendor.OrgPath}/sessions/{held[2].Lease.SessionId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await vendor.Client.Http.DeleteAsync($"{vendor.OrgPath}/sessions/{held[2].Lease.SessionId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await ShouldMatchAsync(full.Id, expected: 2);

        // 10 more race for the 3 free seats; a renewal by a holder takes none.
        var second = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => _anonymous.AcquireAsync(full.LicenseKey!, $"b-{i}"))
            .Append(_anonymous.AcquireAsync(full.LicenseKey!, held[3].HardwareId)));
        second.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(3);
        second.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(1);
        await ShouldMatchAsync(full.Id, expected: 5);

        // One machine on the other licence lets its lease lapse and comes back: its own lapsed session ends, a new one starts.
        await _anonymous.AcquireSeatAsync(other.LicenseKey!, "c-1");
        await _anonymous.AcquireSeatAsync(other.LicenseKey!, "c-2");
        app.Clock.Advance(TimeSpan.FromMinutes(7)); // past every lease above
        (await _anonymous.AcquireAsync(other.LicenseKey!, "c-1")).StatusCode.ShouldBe(HttpStatusCode.Created);
        await ShouldMatchAsync(other.Id, expected: 2); // c-1 anew, c-2 lapsed but not yet ended

        // The full licence takes its lapsed seats back for a newcomer.
        (await _anonymous.AcquireAsync(full.LicenseKey!, "d-1")).StatusCode.ShouldBe(HttpStatusCode.Created);
        await ShouldMatchAsync(full.Id, expected: 1);

        await app.Services.GetRequiredService<LeaseSweeper>().SweepOnceAsync(CancellationToken.None);
        await ShouldMatchAsync(other.Id, expected: 1);
        await ShouldMatchAsync(full.Id, expected: 1);
    }

    [Fact]
    public async Task Parallel_churn_on_one_licence_leaves_the_counter_equal_to_the_unended_sessions()
    {
        var vendor = await app.Anonymous().RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 4);

        await Task.WhenAll(Enumerable.Range(0, 16).Select(async worker =>
        {
            for (var round = 0; round < 10; round++)
            {
                var response = await _anonymous.AcquireAsync(license.LicenseKey!, $"w{worker}-{round}");
                if (response.StatusCode == HttpStatusCode.Created && round % 3 != 0)
                {
                    var lease = await response.ReadAsync<AcquireResponse>(HttpStatusCode.Created);
                    (await _anonymous.ReleaseAsync(license.LicenseKey!, lease.SessionId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
                }
            }
        }));

        var (counter, sessions) = await ReadAsync(license.Id);
        counter.ShouldBe(sessions);
        counter.ShouldBeInRange(1, 4);
    }

    [Fact]
    public async Task Acquires_waiting_on_one_licence_commit_in_groups_and_a_failing_one_fails_alone()
    {
        var vendor = await app.Anonymous().RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 30);
        var ledger = (PostgresSeatLedger)app.Services.GetRequiredService<ISeatLedger>();
        var keyHash = LicenseKeys.Hash(license.LicenseKey!);
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var before = ledger.GroupStats;

        // 40 acquires at once: the first takes the turn alone, the rest queue and run in groups of up to 16. One of them
        // names a hardware id longer than the column, so its INSERT fails and takes its group's transaction with it.
        var tooLong = new string('x', 300);
        var calls = Enumerable.Range(0, 40)
            .Select(i => ledger.AcquireAsync(new AcquireCommand(keyHash, i == 17 ? tooLong : $"g-{i}", null, null, null, null,
                Guid.CreateVersion7(), now, now.AddMinutes(6)), CancellationToken.None))
            .ToArray();

        (await Should.ThrowAsync<PostgresException>(() => calls[17])).SqlState.ShouldBe(PostgresErrorCodes.StringDataRightTruncation);
        var answers = await Task.WhenAll(calls.Where((_, i) => i != 17));
        answers.Count(a => a.Outcome == AcquireOutcome.Acquired).ShouldBe(30);
        answers.Count(a => a.Outcome == AcquireOutcome.NoSeats).ShouldBe(9);
        var (groups, grouped) = (ledger.GroupStats.Groups - before.Groups, ledger.GroupStats.Calls - before.Calls);
        grouped.ShouldBeGreaterThan(groups, "at least one transaction held several acquires");
        await ShouldMatchAsync(license.Id, expected: 30);
    }

    private async Task ShouldMatchAsync(Guid licenseId, int expected)
    {
        var (counter, sessions) = await ReadAsync(licenseId);
        sessions.ShouldBe(expected, "unended sessions");
        counter.ShouldBe(sessions, "licenses.seats_held");
    }

    /// <summary>The counter and the truth, read on the server's own connection string in system scope (row-level security binds it).</summary>
    private async Task<(int Counter, int Sessions)> ReadAsync(Guid licenseId)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using (var system = new NpgsqlCommand("SELECT set_config('app.system', 'on', false)", connection))
        {
            await system.ExecuteScalarAsync();
        }

        await using var command = new NpgsqlCommand(
            """
            SELECT l.seats_held, (SELECT count(*)::int FROM license_sessions s WHERE s.license_id = l.id AND s.status = 'active')
            FROM licenses l WHERE l.id = $1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = licenseId });
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).ShouldBeTrue();
        return (reader.GetInt32(0), reader.GetInt32(1));
    }
}

using Coditect.Server.FaultTests.Infrastructure;

namespace Coditect.Server.FaultTests.Notifications;

/// <summary>Licence alerts from a cluster: every node runs the jobs every second, and each alert still goes once.</summary>
[Collection(FaultsCollection.Name)]
public sealed class ReminderClusterTests(Backends backends)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Three_nodes_checking_every_second_send_each_expiry_reminder_and_seat_alert_once()
    {
        await using var cluster = await Cluster.StartAsync(backends, Ledger.Postgres, nodes: 3,
            nodeSettings: _ => new Dictionary<string, string> { ["Notifications__ExpiryCheckSeconds"] = "1", ["Notifications__SeatAlertCheckSeconds"] = "1" });
        var now = DateTime.UtcNow;
        // Due: 30, 30, 7, 7 (the nearest of 30 and 7), 1, 1; the 40-day one is not yet.
        var licenses = new List<Guid>();
        foreach (var days in new[] { 25.0, 12.0, 6.0, 3.0, 0.5, 0.2, 40.0 })
        {
            licenses.Add((await cluster.CreateLicenseAsync(seats: 1, now.AddDays(days))).Id);
        }

        await SettledAsync(cluster, expected: 6);
        (await cluster.ScalarAsync<long>("select count(*) from license_reminders where threshold_days = 30")).ShouldBe(2);
        (await cluster.ScalarAsync<long>("select count(*) from license_reminders where threshold_days = 7")).ShouldBe(2);
        (await cluster.ScalarAsync<long>("select count(*) from license_reminders where threshold_days = 1")).ShouldBe(2);
        (await cluster.ScalarAsync<long>($"select count(*) from license_reminders where license_id = '{licenses[^1]}'")).ShouldBe(0);

        // A renewal through another node: the licence is reminded again, once, for its new date.
        await cluster.RenewLicenseAsync(cluster.Nodes[2], licenses[0], now.AddDays(5));
        await SettledAsync(cluster, expected: 7);
        (await cluster.ScalarAsync<long>($"select count(*) from license_reminders where license_id = '{licenses[0]}'")).ShouldBe(2);

        // Seats exhausted: users turned away on every node in the same hour make one event and one mail.
        var full = await cluster.CreateLicenseAsync(seats: 1);
        (await cluster.Nodes[0].Http.AcquireAsync(full.LicenseKey!, "holder")).IsSuccess.ShouldBeTrue();
        for (var i = 0; i < cluster.Nodes.Count; i++)
        {
            (await cluster.Nodes[i].Http.AcquireAsync(full.LicenseKey!, $"turned-away-{i}")).ProblemCode.ShouldBe("NO_SEATS_AVAILABLE");
        }

        var denied = DateTime.UtcNow;
        while (await cluster.ScalarAsync<long>("select count(*) from seat_alerts") < 1)
        {
            (DateTime.UtcNow - denied).ShouldBeLessThan(Within, $"the seat alert\n{cluster.Logs()}");
            await Task.Delay(200);
        }

        await Task.Delay(TimeSpan.FromSeconds(3));
        var hours = await cluster.ScalarAsync<long>("select count(distinct hour_start) from license_usage where denials > 0");
        (await cluster.ScalarAsync<long>("select count(*) from seat_alerts")).ShouldBe(hours, "one per licence-hour (two if the hour turned meanwhile)");
        (await cluster.ScalarAsync<long>("select count(*) from outbox where type = 'license.seats_exhausted'")).ShouldBe(hours);
        var mailDays = await cluster.ScalarAsync<long>("select count(distinct (hour_start at time zone 'UTC')::date) from license_usage where denials > 0");
        (await cluster.ScalarAsync<long>("select count(*) from outgoing_mail where kind = 'seats_exhausted'")).ShouldBe(mailDays, "one mail per day (to the one admin)");
    }

    /// <summary>
    /// Waits for <paramref name="expected"/> reminders, then lets every node run the job several more periods, and
    /// checks that reminders, outbox events and queued mail (to the one admin) all stayed at exactly that many.
    /// </summary>
    private static async Task SettledAsync(Cluster cluster, long expected)
    {
        var started = DateTime.UtcNow;
        while (await cluster.ScalarAsync<long>("select count(*) from license_reminders") < expected)
        {
            (DateTime.UtcNow - started).ShouldBeLessThan(Within, $"{expected} reminders\n{cluster.Logs()}");
            await Task.Delay(200);
        }

        await Task.Delay(TimeSpan.FromSeconds(3)); // three more periods on every node
        (await cluster.ScalarAsync<long>("select count(*) from license_reminders")).ShouldBe(expected);
        (await cluster.ScalarAsync<long>("select count(*) from outbox where type = 'license.expiring'")).ShouldBe(expected, "one event per reminder");
        (await cluster.ScalarAsync<long>("select count(*) from outgoing_mail where kind = 'license_expiring'")).ShouldBe(expected, "one mail per reminder");
        (await cluster.ScalarAsync<long>("select count(*) from cluster_jobs where name = 'license-expiry-reminders' and last_run_at is not null")).ShouldBe(1);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.Identity;
using Coditect.Contracts.Licensing;
using Coditect.Server.Data;
using Coditect.Server.Licensing;
using Coditect.Server.Notifications.Alerts;
using Coditect.Server.Notifications.Email;
using Coditect.Server.Platform.Outbox;
using Coditect.Server.Tenancy;
using Coditect.Server.Tests.Infrastructure;
using Coditect.Server.Tests.Licensing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Notifications;

/// <summary>
/// Expiry reminders and seats-exhausted alerts: each raised once on the outbox and mailed to the admins who want it,
/// however often the job runs. The jobs run here through RunOnceAsync; the server's own schedule may run them too
/// when the clock moves, which must not change what is sent.
/// </summary>
public abstract class AlertTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private ExpiryReminders Reminders => app.Services.GetRequiredService<ExpiryReminders>();

    private SeatAlerts Seats => app.Services.GetRequiredService<SeatAlerts>();

    private DateTime Now => app.Clock.GetUtcNow().UtcDateTime;

    [Theory]
    [InlineData(10, 30)]
    [InlineData(30, 30)]
    [InlineData(31, null)]
    [InlineData(7.5, 30)]
    [InlineData(6.9, 7)]
    [InlineData(1.5, 7)]
    [InlineData(0.5, 1)]
    [InlineData(-0.1, null)]
    public void The_nearest_threshold_reached_is_due(double daysLeft, int? expected) =>
        ExpiryReminders.DueThreshold(Now.AddDays(daysLeft), Now).ShouldBe(expected);

    [Fact]
    public async Task A_licence_is_reminded_at_30_7_and_1_days_once_each_and_only_to_admins_who_want_it()
    {
        var owner = await app.Anonymous().RegisterAsync();
        var admin = await owner.AddMemberAsync("admin");
        var muted = await owner.AddMemberAsync("admin");
        var member = await owner.AddMemberAsync("member");
        await MuteAsync(muted, MailKinds.LicenseExpiring);
        var license = await owner.CreateLicenseAsync(seats: 1, expiresAt: Now.AddDays(40));

        await Reminders.RunOnceAsync(CancellationToken.None);
        (await RemindersAsync(owner.OrgId, license.Id)).ShouldBeEmpty("40 days out, nothing is due");

        var steps = new[] { (Advance: 10.5, Threshold: 30, DaysLeft: 30), (Advance: 23.0, Threshold: 7, DaysLeft: 7), (Advance: 6.0, Threshold: 1, DaysLeft: 1) };
        for (var i = 0; i < steps.Length; i++)
        {
            var step = steps[i];
            app.Clock.Advance(TimeSpan.FromDays(step.Advance));
            await Reminders.RunOnceAsync(CancellationToken.None);
            await Reminders.RunOnceAsync(CancellationToken.None);

            var events = (await ExpiringEventsAsync(owner.OrgId, license.Id)).Where(e => e.GetProperty("threshold_days").GetInt32() == step.Threshold).ToList();
            events.Count.ShouldBe(1, $"one license.expiring at {step.Threshold} days");
            events[0].GetProperty("days_left").GetInt32().ShouldBe(step.DaysLeft);
            events[0].GetProperty("name").GetString().ShouldBe(license.Name);
            events[0].GetProperty("expires_at").GetDateTime().ShouldBe(license.ExpiresAt!.Value, TimeSpan.FromMilliseconds(1));
            events[0].TryGetProperty("license_key", out _).ShouldBeFalse("never the key");

            foreach (var person in new[] { owner, admin })
            {
                var mail = await MailAsync(person.Email, MailKinds.LicenseExpiring);
                mail.Count.ShouldBe(i + 1, $"{person.Email}: one mail per threshold so far");
                mail.ShouldContain(m => m.Subject == $"Licence \"{license.Name}\" expires in {step.DaysLeft} day{(step.DaysLeft == 1 ? "" : "s")}");
            }

            (await MailAsync(muted.Email, MailKinds.LicenseExpiring)).ShouldBeEmpty("this admin turned expiry mail off");
            (await MailAsync(member.Email, MailKinds.LicenseExpiring)).ShouldBeEmpty("members are not told");
        }

        app.Clock.Advance(TimeSpan.FromDays(1));
        await Reminders.RunOnceAsync(CancellationToken.None);
        (await RemindersAsync(owner.OrgId, license.Id)).Select(r => r.ThresholdDays).ShouldBe([30, 7, 1], ignoreOrder: true);
        (await MailAsync(owner.Email, MailKinds.LicenseExpiring)).Count.ShouldBe(3, "nothing after expiry");
    }

    [Fact]
    public async Task Only_the_nearest_due_threshold_is_sent_and_a_renewed_licence_is_reminded_for_its_new_date()
    {
        var owner = await app.Anonymous().RegisterAsync();
        var license = await owner.CreateLicenseAsync(seats: 1, expiresAt: Now.AddDays(5));
        var perpetual = await owner.CreateLicenseAsync(seats: 1);

        await Reminders.RunOnceAsync(CancellationToken.None);
        var first = (await RemindersAsync(owner.OrgId, license.Id)).ShouldHaveSingleItem();
        first.ThresholdDays.ShouldBe(7, "30 and 7 are both due: only the nearest is sent");
        var events = await ExpiringEventsAsync(owner.OrgId, license.Id);
        events.ShouldHaveSingleItem().GetProperty("days_left").GetInt32().ShouldBe(5);
        (await MailAsync(owner.Email, MailKinds.LicenseExpiring)).ShouldHaveSingleItem().Subject.ShouldContain("expires in 5 days");
        (await RemindersAsync(owner.OrgId, perpetual.Id)).ShouldBeEmpty();

        var renewed = await (await owner.Client.PostAsync($"{owner.OrgPath}/licenses/{license.Id}/renew", new RenewLicenseRequest(Now.AddDays(20))))
            .ReadAsync<LicenseResponse>(HttpStatusCode.OK);
        await Reminders.RunOnceAsync(CancellationToken.None);
        await Reminders.RunOnceAsync(CancellationToken.None);

        var reminders = await RemindersAsync(owner.OrgId, license.Id);
        reminders.Count.ShouldBe(2);
        reminders.ShouldContain(r => r.ThresholdDays == 30 && Math.Abs((r.ExpiresAt - renewed.ExpiresAt!.Value).TotalMilliseconds) < 1, "the new date's 30-day reminder");
        (await ExpiringEventsAsync(owner.OrgId, license.Id)).Count.ShouldBe(2);
        (await MailAsync(owner.Email, MailKinds.LicenseExpiring)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task Seats_exhausted_is_raised_once_per_licence_per_hour_and_mailed_once_per_day()
    {
        // The first two hours below must fall in one UTC day: late in a day, start just after the next midnight.
        if (Now.Hour >= 22)
        {
            app.Clock.Advance(Now.Date.AddDays(1).AddMinutes(5) - Now);
        }

        var hour = new DateTime(Now.Year, Now.Month, Now.Day, Now.Hour, 0, 0, DateTimeKind.Utc);
        var owner = await app.Anonymous().RegisterAsync();
        var muted = await owner.AddMemberAsync("admin");
        await MuteAsync(muted, MailKinds.SeatsExhausted);
        var license = await owner.CreateLicenseAsync(seats: 1);
        var other = await owner.CreateLicenseAsync(seats: 5);
        var client = app.Anonymous();

        async Task DenyAsync()
        {
            (await client.AcquireAsync(license.LicenseKey!, "machine-1")).IsSuccessStatusCode.ShouldBeTrue("machine-1 holds the one seat");
            await (await client.AcquireAsync(license.LicenseKey!, "machine-2")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);
        }

        await client.AcquireSeatAsync(other.LicenseKey!, "machine-1");
        await Seats.RunOnceAsync(CancellationToken.None);
        (await SeatEventsAsync(owner.OrgId, license.Id)).ShouldBeEmpty("no denial yet");

        await DenyAsync();
        await DenyAsync();
        await Seats.RunOnceAsync(CancellationToken.None);
        await DenyAsync();
        await Seats.RunOnceAsync(CancellationToken.None);
        var first = (await SeatEventsAsync(owner.OrgId, license.Id)).ShouldHaveSingleItem("one event for the hour, however many denials");
        first.GetProperty("hour_start").GetDateTime().ShouldBe(hour);
        first.GetProperty("seats_total").GetInt32().ShouldBe(1);
        first.GetProperty("denials").GetInt32().ShouldBeGreaterThanOrEqualTo(1);
        first.TryGetProperty("license_key", out _).ShouldBeFalse();
        (await MailAsync(owner.Email, MailKinds.SeatsExhausted)).ShouldHaveSingleItem().Subject.ShouldContain("all 1 seats were taken");
        (await MailAsync(muted.Email, MailKinds.SeatsExhausted)).ShouldBeEmpty("this admin turned seat mail off");
        (await SeatEventsAsync(owner.OrgId, other.Id)).ShouldBeEmpty("the other licence turned nobody away");

        app.Clock.Advance(TimeSpan.FromHours(1));
        await DenyAsync();
        await Seats.RunOnceAsync(CancellationToken.None);
        await Seats.RunOnceAsync(CancellationToken.None);
        (await SeatEventsAsync(owner.OrgId, license.Id)).Count.ShouldBe(2, "a new hour, a new event");
        (await MailAsync(owner.Email, MailKinds.SeatsExhausted)).Count.ShouldBe(1, "the same day: no second mail");

        app.Clock.Advance(TimeSpan.FromDays(1));
        await DenyAsync();
        await Seats.RunOnceAsync(CancellationToken.None);
        await Seats.RunOnceAsync(CancellationToken.None);
        (await SeatEventsAsync(owner.OrgId, license.Id)).Count.ShouldBe(3);
        (await MailAsync(owner.Email, MailKinds.SeatsExhausted)).Count.ShouldBe(2, "the next day: a mail again");
    }

    private static async Task MuteAsync(Caller person, string kind)
    {
        var response = await person.Client.Http.PutAsJsonAsync("/api/v1/me/email-preferences", new UpdateEmailPreferencesRequest([kind]), Client.Json);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private async Task<List<OutgoingMail>> MailAsync(string to, string kind)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        return await db.Set<OutgoingMail>().AsNoTracking().Where(m => m.ToAddress == to && m.Kind == kind).ToListAsync();
    }

    private async Task<List<LicenseReminder>> RemindersAsync(Guid tenantId, Guid licenseId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<TenantScope>().EnterAsync(tenantId, CancellationToken.None);
        return await scope.ServiceProvider.GetRequiredService<CoditectDbContext>().Set<LicenseReminder>().AsNoTracking()
            .Where(r => r.LicenseId == licenseId).ToListAsync();
    }

    private Task<List<JsonElement>> ExpiringEventsAsync(Guid tenantId, Guid licenseId) => EventsAsync(tenantId, LicensingEvents.Expiring, licenseId);

    private Task<List<JsonElement>> SeatEventsAsync(Guid tenantId, Guid licenseId) => EventsAsync(tenantId, LicensingEvents.SeatsExhausted, licenseId);

    /// <summary>The data of the stored events of <paramref name="type"/> about one licence (recent ones: older ones may be past retention).</summary>
    private async Task<List<JsonElement>> EventsAsync(Guid tenantId, string type, Guid licenseId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<TenantScope>().EnterAsync(tenantId, CancellationToken.None);
        var rows = await scope.ServiceProvider.GetRequiredService<CoditectDbContext>().Set<OutboxEvent>().AsNoTracking()
            .Where(e => e.Type == type).OrderBy(e => e.Seq).Select(e => e.Data).ToListAsync();
        return [.. rows.Select(data => JsonDocument.Parse(data).RootElement.Clone()).Where(data => data.GetProperty("id").GetGuid() == licenseId)];
    }
}

public sealed class AlertTestsOnSqlite(SqliteApp app) : AlertTests<SqliteApp>(app);

public sealed class AlertTestsOnPostgres(PostgresApp app) : AlertTests<PostgresApp>(app);

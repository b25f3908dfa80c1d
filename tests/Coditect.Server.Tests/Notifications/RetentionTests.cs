using Coditect.Server.Data;
using Coditect.Server.Notifications;
using Coditect.Server.Notifications.Alerts;
using Coditect.Server.Notifications.Webhooks;
using Coditect.Server.Tenancy;
using Coditect.Server.Tests.Infrastructure;
using Coditect.Server.Tests.Licensing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Notifications;

/// <summary>
/// The notifications' retention job: expiry reminders go 30 days after the expiry date they were for, seat alerts
/// after 7 days, finished webhook deliveries and attempts after <c>Webhooks:RetentionDays</c> (30); pending deliveries
/// stay. The job runs here through RunOnceAsync; the server's own schedule may run it too when the clock moves, so the
/// test looks at what is left, not at the counts. Its own fixture: the clock moves by weeks.
/// </summary>
public abstract class RetentionTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : WebhookApp
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    private NotificationRetention Retention => app.Services.GetRequiredService<NotificationRetention>();

    private DateTime Now => app.Clock.GetUtcNow().UtcDateTime;

    [Fact]
    public async Task Old_reminders_seat_alerts_and_finished_deliveries_are_deleted_and_what_is_still_needed_stays()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var vendor = await app.Anonymous().RegisterAsync();
        // An API key outlives the access token across the weeks the clock moves.
        var key = await (await vendor.Client.PostAsync($"{vendor.OrgPath}/api-keys", new Coditect.Contracts.Organizations.CreateApiKeyRequest("retention tests", "owner")))
            .ReadAsync<Coditect.Contracts.Organizations.ApiKeyResponse>(System.Net.HttpStatusCode.Created);
        var lasting = vendor.Client.WithBearer(key.Key!);
        var endpoint = await (await vendor.Client.PostAsync($"{vendor.OrgPath}/webhooks",
                new Coditect.Contracts.Notifications.CreateWebhookRequest(receiver.Url, "Retention", ["license.created"], null)))
            .ReadAsync<Coditect.Contracts.Notifications.WebhookResponse>(System.Net.HttpStatusCode.Created);
        var license = await vendor.CreateLicenseAsync(seats: 1, expiresAt: Now.AddDays(2));
        await Eventually.ShouldHoldAsync(async () => await CountAsync(vendor.OrgId, db => db.Set<WebhookDelivery>()
            .CountAsync(d => d.EndpointId == endpoint.Id && d.Status == DeliveryStatus.Succeeded)) == 1, Within, "license.created delivered");
        await app.Services.GetRequiredService<ExpiryReminders>().RunOnceAsync(CancellationToken.None);
        var start = Now;
        var pendingId = Guid.CreateVersion7();
        await InTenantAsync(vendor.OrgId, db =>
        {
            db.Add(new SeatAlert { TenantId = vendor.OrgId, LicenseId = license.Id, HourStart = start.AddMinutes(-start.Minute), Denials = 1, AnnouncedAt = start });
            // Not due for 100 days: still pending when the others are past retention.
            db.Add(new WebhookDelivery
            {
                Id = pendingId, TenantId = vendor.OrgId, EndpointId = endpoint.Id, EventId = "evt_pending", EventType = "license.created",
                Payload = "{}", NextAttemptAt = start.AddDays(100),
            });
            return Task.CompletedTask;
        });
        (await CountAsync(vendor.OrgId, db => db.Set<LicenseReminder>().CountAsync(r => r.LicenseId == license.Id))).ShouldBe(1, "the 7-day reminder");

        app.Clock.Advance(TimeSpan.FromDays(8));
        await Retention.RunOnceAsync(CancellationToken.None);
        (await CountAsync(vendor.OrgId, db => db.Set<SeatAlert>().CountAsync(a => a.LicenseId == license.Id))).ShouldBe(0, "8 days old");
        (await CountAsync(vendor.OrgId, db => db.Set<LicenseReminder>().CountAsync(r => r.LicenseId == license.Id)))
            .ShouldBe(1, "its expiry date passed 6 days ago: kept");
        (await CountAsync(vendor.OrgId, db => db.Set<WebhookDelivery>().CountAsync(d => d.EndpointId == endpoint.Id))).ShouldBe(2);

        app.Clock.Advance(TimeSpan.FromDays(23)); // 31 days after the start, 29 after the expiry
        await Retention.RunOnceAsync(CancellationToken.None);
        (await CountAsync(vendor.OrgId, db => db.Set<LicenseReminder>().CountAsync(r => r.LicenseId == license.Id)))
            .ShouldBe(1, "29 days after the expiry date: kept");
        (await CountAsync(vendor.OrgId, db => db.Set<WebhookDelivery>().CountAsync(d => d.EndpointId == endpoint.Id && d.Status == DeliveryStatus.Succeeded)))
            .ShouldBe(0, "delivered 31 days ago");
        (await CountAsync(vendor.OrgId, db => db.Set<WebhookAttempt>().CountAsync(a => a.EndpointId == endpoint.Id))).ShouldBe(0, "its attempt with it");
        (await CountAsync(vendor.OrgId, db => db.Set<WebhookDelivery>().CountAsync(d => d.Id == pendingId))).ShouldBe(1, "pending: kept whatever its age");

        // A recent delivery stays beside the old ones going.
        (await lasting.PostAsync($"{vendor.OrgPath}/licenses", new Coditect.Contracts.Licensing.CreateLicenseRequest("Later", 1, null, ["export"])))
            .StatusCode.ShouldBe(System.Net.HttpStatusCode.Created);
        await Eventually.ShouldHoldAsync(async () => await CountAsync(vendor.OrgId, db => db.Set<WebhookDelivery>()
            .CountAsync(d => d.EndpointId == endpoint.Id && d.Status == DeliveryStatus.Succeeded)) == 1, Within, "the new licence's event delivered");
        app.Clock.Advance(TimeSpan.FromDays(2)); // 31 days after the expiry
        await Retention.RunOnceAsync(CancellationToken.None);
        (await CountAsync(vendor.OrgId, db => db.Set<LicenseReminder>().CountAsync(r => r.LicenseId == license.Id))).ShouldBe(0, "31 days after the expiry date");
        (await CountAsync(vendor.OrgId, db => db.Set<WebhookDelivery>().CountAsync(d => d.EndpointId == endpoint.Id && d.Status == DeliveryStatus.Succeeded)))
            .ShouldBe(1, "delivered 2 days ago");
        (await CountAsync(vendor.OrgId, db => db.Set<WebhookAttempt>().CountAsync(a => a.EndpointId == endpoint.Id))).ShouldBe(1);
    }

    private async Task InTenantAsync(Guid tenantId, Func<CoditectDbContext, Task> work)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var tenancy = scope.ServiceProvider.GetRequiredService<TenantScope>();
        await tenancy.EnterAsync(tenantId, CancellationToken.None);
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        await work(db);
        await db.SaveChangesAsync();
        await tenancy.CommitAsync(CancellationToken.None);
    }

    private async Task<int> CountAsync(Guid tenantId, Func<CoditectDbContext, Task<int>> query)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<TenantScope>().EnterAsync(tenantId, CancellationToken.None);
        return await query(scope.ServiceProvider.GetRequiredService<CoditectDbContext>());
    }
}

public sealed class RetentionTestsOnSqlite(WebhookAppOnSqlite app) : RetentionTests<WebhookAppOnSqlite>(app);

public sealed class RetentionTestsOnPostgres(WebhookAppOnPostgres app) : RetentionTests<WebhookAppOnPostgres>(app);

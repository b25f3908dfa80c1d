using Coditect.Server.Data;
using Coditect.Server.Notifications.Alerts;
using Coditect.Server.Notifications.Webhooks;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Notifications;

/// <summary>How many rows one retention run deleted, per table.</summary>
public sealed record RetentionResult(int Reminders, int SeatAlerts, int Deliveries, int Attempts);

/// <summary>
/// Deletes what the notifications no longer need, once an hour in the cluster:
/// <list type="bullet">
/// <item>expiry reminders (<c>license_reminders</c>) for an expiry date more than <see cref="ReminderDays"/> days past:
/// an expired licence is never reminded again for that date, so the row guards nothing;</item>
/// <item>seat alerts (<c>seat_alerts</c>) for an hour more than <see cref="SeatAlertDays"/> days past: the job only
/// looks at the current and previous hour, and the mail's once-a-day key at that hour's day;</item>
/// <item>webhook deliveries that are done (succeeded or failed) and attempts, older than <c>Webhooks:RetentionDays</c>
/// (30): the delivery log's reach. A pending delivery stays whatever its age (a redelivered one is pending).</item>
/// </list>
/// </summary>
public sealed class NotificationRetention(IServiceScopeFactory scopes, IOptions<WebhookOptions> webhooks, TimeProvider time, ILogger<NotificationRetention> logger)
    : ClusterJob(scopes, time, logger)
{
    /// <summary>Days past a licence's expiry date after which its reminders for that date are deleted.</summary>
    public const int ReminderDays = 30;

    /// <summary>Days after which a licence-hour's seat alert is deleted.</summary>
    public const int SeatAlertDays = 7;

    private readonly IServiceScopeFactory _scopes = scopes;

    protected override string Name => "notification-retention";

    protected override TimeSpan Period => TimeSpan.FromHours(1);

    /// <summary>One run now, outside the schedule (tests).</summary>
    public async Task<RetentionResult> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = _scopes.CreateAsyncScope();
        return await DeleteAsync(scope.ServiceProvider, ct);
    }

    protected override Task RunAsync(IServiceProvider services, CancellationToken ct) => DeleteAsync(services, ct);

    private async Task<RetentionResult> DeleteAsync(IServiceProvider services, CancellationToken ct)
    {
        var db = services.GetRequiredService<CoditectDbContext>();
        var now = Clock.GetUtcNow().UtcDateTime;
        var reminderCutoff = now.AddDays(-ReminderDays);
        var alertCutoff = now.AddDays(-SeatAlertDays);
        var logCutoff = now.AddDays(-webhooks.Value.RetentionDays);
        var result = await db.RunAsSystemAsync(async () => new RetentionResult(
            await db.Set<LicenseReminder>().IgnoreQueryFilters().Where(r => r.ExpiresAt < reminderCutoff).ExecuteDeleteAsync(ct),
            await db.Set<SeatAlert>().IgnoreQueryFilters().Where(a => a.HourStart < alertCutoff).ExecuteDeleteAsync(ct),
            await db.Set<WebhookDelivery>().IgnoreQueryFilters()
                .Where(d => d.CreatedAt < logCutoff && d.UpdatedAt < logCutoff && d.Status != DeliveryStatus.Pending).ExecuteDeleteAsync(ct),
            await db.Set<WebhookAttempt>().IgnoreQueryFilters().Where(a => a.CreatedAt < logCutoff).ExecuteDeleteAsync(ct)), ct);
        if (result.Reminders + result.SeatAlerts + result.Deliveries + result.Attempts > 0)
        {
            logger.LogInformation(
                "Past retention, deleted: {Reminders} expiry reminders, {SeatAlerts} seat alerts, {Deliveries} webhook deliveries, {Attempts} webhook attempts",
                result.Reminders, result.SeatAlerts, result.Deliveries, result.Attempts);
        }

        return result;
    }
}

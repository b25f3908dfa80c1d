using Coditect.Server.Notifications.Alerts;
using Coditect.Server.Notifications.Email;
using Coditect.Server.Notifications.Webhooks;
using Coditect.Server.Platform;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Notifications;

/// <summary>
/// What leaves the server on its own: signed webhooks fed by the outbox, e-mail queued with the change it tells about,
/// the cluster jobs that warn admins of licences about to expire or turning users away, and the one that deletes what
/// they no longer need.
/// </summary>
public static class NotificationsExtensions
{
    public static WebApplicationBuilder AddNotifications(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddWebhookHttpClient();
        builder.Services.AddCommitSignal<WebhookSignal>();
        builder.Services.AddScoped<WebhookAdmin>();
        builder.Services.AddWebhookFanOut();
        builder.Services.AddSingleton<WebhookSender>();
        builder.Services.AddHostedService(services => services.GetRequiredService<WebhookSender>());

        builder.Services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddCommitSignal<MailSignal>();
        builder.Services.AddScoped<Mailbox>();
        builder.Services.AddScoped<EmailPreferences>();
        builder.Services.AddSingleton<IMailTransport>(services => services.GetRequiredService<IOptions<EmailOptions>>().Value.UsesSmtp
            ? ActivatorUtilities.CreateInstance<SmtpMailTransport>(services)
            : ActivatorUtilities.CreateInstance<DropFolderMailTransport>(services));
        builder.Services.AddSingleton<MailSender>();
        builder.Services.AddHostedService(services => services.GetRequiredService<MailSender>());

        builder.Services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ExpiryReminders>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ExpiryReminders>());
        builder.Services.AddSingleton<SeatAlerts>();
        builder.Services.AddHostedService(services => services.GetRequiredService<SeatAlerts>());
        builder.Services.AddSingleton<NotificationRetention>();
        builder.Services.AddHostedService(services => services.GetRequiredService<NotificationRetention>());
        return builder;
    }

    public static void MapNotifications(this IEndpointRouteBuilder app, RouteGroupBuilder api, RouteGroupBuilder org)
    {
        app.MapWebhooks(org);
        api.MapEmailPreferences();
    }
}

using Coditect.Server.Notifications.Webhooks;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Coditect.Server.Notifications;

/// <summary>What leaves the server on its own: signed webhooks, fed by the outbox (e-mail comes next).</summary>
public static class NotificationsExtensions
{
    public static WebApplicationBuilder AddNotifications(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddWebhookHttpClient();
        builder.Services.AddSingleton<WebhookSignal>();
        builder.Services.AddHostedService(services => services.GetRequiredService<WebhookSignal>());
        builder.Services.AddSingleton<IInterceptor, WebhookCommitInterceptor>();
        builder.Services.AddScoped<WebhookAdmin>();
        builder.Services.AddWebhookFanOut();
        builder.Services.AddSingleton<WebhookSender>();
        builder.Services.AddHostedService(services => services.GetRequiredService<WebhookSender>());
        return builder;
    }

    public static void MapNotifications(this IEndpointRouteBuilder app, RouteGroupBuilder org) => app.MapWebhooks(org);
}

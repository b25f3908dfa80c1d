using Coditect.Server.Platform.Telemetry;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Coditect.Server.Platform.Outbox;

public static class OutboxExtensions
{
    /// <summary>The outbox: after-commit delivery on this node, the reader of other nodes' events, the cluster dispatcher, retention and the backlog gauges.</summary>
    public static WebApplicationBuilder AddOutbox(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddClusterSignal();
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.AddHostedService(services => services.GetRequiredService<OutboxSignal>());
        builder.Services.AddSingleton<OutboxNode>();
        builder.Services.AddSingleton<IInterceptor, OutboxCommitInterceptor>();
        builder.Services.AddSingleton<OutboxNodeReader>();
        builder.Services.AddHostedService(services => services.GetRequiredService<OutboxNodeReader>());
        builder.Services.AddSingleton<OutboxDispatcher>();
        builder.Services.AddHostedService(services => services.GetRequiredService<OutboxDispatcher>());
        builder.Services.AddHostedService<OutboxRetention>();
        builder.Services.AddMetricsSource<OutboxMetrics>();
        return builder;
    }
}

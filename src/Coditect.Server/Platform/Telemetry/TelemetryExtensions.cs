using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Coditect.Server.Platform.Telemetry;

/// <summary>
/// OpenTelemetry for the node: metrics always (read by Prometheus at <c>/metrics</c>, see <see cref="MetricsEndpoint"/>),
/// traces only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (exported over OTLP; the exporter reads the standard
/// <c>OTEL_*</c> variables itself). Features add their own meters, named <c>Coditect.*</c>; the instruments are listed
/// in docs/operations.md#metrics.
/// </summary>
public static class TelemetryExtensions
{
    /// <summary>The prefix of every meter and activity source of ours.</summary>
    public const string Prefix = "Coditect";

    public const string ServiceName = "coditect-server";

    /// <summary>The meter of Platform's own instruments (Redis connection, outbox backlog).</summary>
    public const string PlatformMeter = "Coditect.Platform";

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.Networks() is not null,
                "Metrics:AllowedNetworks must be comma-separated CIDR ranges, e.g. 127.0.0.0/8,::1/128,10.0.0.0/8.")
            .ValidateOnStart();
        ListenOnMetricsPort(builder);
        builder.Services.AddSingleton<NotificationMetrics>(); // webhook attempts (WebhookSender); e-mail when it lands

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName,
                serviceVersion: typeof(TelemetryExtensions).Assembly.GetName().Version?.ToString()))
            .WithMetrics(metrics => metrics
                // http.server.request.duration by http.route, and Kestrel's connection counts (ASP.NET Core's own meters).
                .AddAspNetCoreInstrumentation()
                // GC, heap, thread pool, exceptions: the runtime's built-in meter (.NET 9+).
                .AddMeter("System.Runtime")
                // Npgsql's pool and commands (db.client.connection.*), tagged with the data source's name, "coditect".
                .AddMeter("Npgsql")
                .AddMeter(Prefix + ".*")
                .AddPrometheusExporter());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(aspnet => aspnet.Filter = http =>
                    !http.Request.Path.StartsWithSegments(MetricsEndpoint.Path) && !http.Request.Path.StartsWithSegments("/health"))
                .AddSource("Npgsql")
                .AddSource(Prefix + ".*")
                .AddOtlpExporter());
        }

        return builder;
    }

    /// <summary>
    /// With <c>Metrics:Port</c> set, Kestrel listens there as well as on the addresses it was given (<c>urls</c>, from
    /// <c>--urls</c> or <c>ASPNETCORE_URLS</c>; else <c>http_ports</c>; else its default).
    /// </summary>
    private static void ListenOnMetricsPort(WebApplicationBuilder builder)
    {
        var port = builder.Configuration.GetValue<int?>($"{MetricsOptions.Section}:{nameof(MetricsOptions.Port)}") ?? 0;
        if (port is <= 0 or > 65535)
        {
            return;
        }

        var urls = builder.Configuration["urls"];
        if (string.IsNullOrWhiteSpace(urls))
        {
            var ports = builder.Configuration["http_ports"];
            urls = string.IsNullOrWhiteSpace(ports)
                ? "http://localhost:5000"
                : string.Join(';', ports.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"http://*:{p}"));
        }

        builder.WebHost.UseUrls($"{urls.TrimEnd(';')};http://*:{port}");
    }

    /// <summary>Registers <typeparamref name="T"/> (which creates observable instruments) so it exists as soon as metrics do.</summary>
    public static IServiceCollection AddMetricsSource<T>(this IServiceCollection services) where T : class
    {
        services.AddSingleton<T>();
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInstrumentation(provider => provider.GetRequiredService<T>()));
        return services;
    }
}

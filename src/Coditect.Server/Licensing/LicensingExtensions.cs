using Coditect.Server.Data;
using Coditect.Server.Licensing.Admin;
using Coditect.Server.Licensing.Ledger;
using Coditect.Server.Licensing.Live;
using Coditect.Server.Licensing.Machines;
using Coditect.Server.Licensing.Protocol;
using Coditect.Server.Licensing.Queue;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Telemetry;

namespace Coditect.Server.Licensing;

public static class LicensingExtensions
{
    /// <summary>
    /// The seat ledger for this node's topology (SQLite, PostgreSQL, or PostgreSQL with Redis), its sweeper, its outbox
    /// subscribers, the live view's signal and its metrics (lease outcomes and latency, seat gauges, Redis repairs).
    /// </summary>
    public static WebApplicationBuilder AddLicensing(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<LicensingOptions>().BindConfiguration(LicensingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var topology = Topology.Of(builder);
        if (topology.UsesRedis)
        {
            builder.Services.AddSingleton<PostgresSeatLedger>();
            builder.Services.AddSingleton<LicenseCache>();
            builder.Services.AddSingleton<HeartbeatWriteBehind>();
            builder.Services.AddSingleton<RedisLedgerStats>();
            builder.Services.AddSingleton<RedisSeatLedger>();
            builder.Services.AddSingleton<ISeatLedger>(services => services.GetRequiredService<RedisSeatLedger>());
            builder.Services.AddHostedService<RedisWarmUp>();
            builder.Services.AddHostedService<HeartbeatFlusher>();
            builder.Services.AddHealthChecks().AddCheck<RedisLedgerHealthCheck>("redis", tags: ["ready"]);
            builder.Services.AddMetricsSource<LedgerMetrics>();
        }
        else if (topology.Database == DatabaseProvider.Postgres)
        {
            builder.Services.AddSingleton<PostgresSeatLedger>();
            builder.Services.AddSingleton<ISeatLedger>(services => services.GetRequiredService<PostgresSeatLedger>());
        }
        else
        {
            builder.Services.AddSingleton<SqliteLedgerWriter>();
            builder.Services.AddHostedService(services => services.GetRequiredService<SqliteLedgerWriter>());
            builder.Services.AddMetricsSource<SqliteLedgerMetrics>();
            builder.Services.AddScoped<ISeatLedger, SqliteSeatLedger>();
        }

        builder.Services.AddScoped<LicenseAdmin>();
        builder.Services.AddScoped<Machines.MachineActivations>();
        builder.Services.AddScoped<Signing.LicenseFiles>();
        builder.Services.AddSingleton<LeaseMetrics>();
        builder.Services.AddMetricsSource<SeatGauges>();
        builder.Services.AddLicensingEvents();
        builder.Services.AddLicenseLive();
        builder.Services.AddScoped<SeatQueue>();
        builder.Services.AddSingleton<QueueOfferer>();
        builder.Services.AddHostedService(services => services.GetRequiredService<QueueOfferer>());
        builder.Services.AddSingleton<QueueOfferJob>();
        builder.Services.AddHostedService(services => services.GetRequiredService<QueueOfferJob>());
        builder.Services.AddSingleton<LeaseSweeper>();
        builder.Services.AddHostedService(services => services.GetRequiredService<LeaseSweeper>());
        return builder;
    }

    /// <summary>
    /// The vendor's admin API under <c>/api/v1/orgs/{org}</c>, the lease protocol at <c>/api/v1/licenses</c> and the
    /// console's live stream of a licence at <c>/orgs/{org}/licenses/{id}/events</c>.
    /// </summary>
    public static void MapLicensing(this IEndpointRouteBuilder app, RouteGroupBuilder org)
    {
        org.MapLicenses();
        org.MapSessions();
        org.MapUsage();
        org.MapMachines();
        org.MapLicenseFiles();
        app.MapLeaseProtocol();
        app.MapMachineProtocol();
        app.MapSeatQueue();
        app.MapLicenseLive();
    }
}

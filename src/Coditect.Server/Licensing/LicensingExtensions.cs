using Coditect.Server.Data;
using Coditect.Server.Signing;
using StackExchange.Redis;

namespace Coditect.Server.Licensing;

public static class LicensingExtensions
{
    public static WebApplicationBuilder AddLicensing(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<LicensingOptions>().BindConfiguration(LicensingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var provider = builder.Configuration.GetValue<DatabaseProvider?>("Database:Provider") ?? DatabaseProvider.Sqlite;
        var redis = builder.Configuration.GetConnectionString("Redis");
        if (!string.IsNullOrWhiteSpace(redis))
        {
            if (provider != DatabaseProvider.Postgres)
            {
                throw new InvalidOperationException(
                    "ConnectionStrings:Redis needs Database:Provider=Postgres: the Redis ledger keeps PostgreSQL as the record of every session.");
            }

            builder.AddRedisSeatLedger(redis);
        }
        else if (provider == DatabaseProvider.Postgres)
        {
            builder.Services.AddSingleton<PostgresSeatLedger>();
            builder.Services.AddSingleton<ISeatLedger>(services => services.GetRequiredService<PostgresSeatLedger>());
        }
        else
        {
            builder.Services.AddScoped<ISeatLedger, SqliteSeatLedger>();
        }

        builder.Services.AddSingleton<LeaseSweeper>();
        builder.Services.AddHostedService(services => services.GetRequiredService<LeaseSweeper>());
        return builder;
    }

    private static void AddRedisSeatLedger(this WebApplicationBuilder builder, string connectionString)
    {
        var configuration = ConfigurationOptions.Parse(connectionString);
        configuration.AbortOnConnectFail = false; // start without Redis; PostgreSQL serves until it is back
        configuration.BacklogPolicy = BacklogPolicy.FailFast; // and at once: 2.x+ would queue calls up to the timeout
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(configuration));
        builder.Services.AddSingleton<PostgresSeatLedger>();
        builder.Services.AddSingleton<LicenseCache>();
        builder.Services.AddSingleton<HeartbeatWriteBehind>();
        builder.Services.AddSingleton<RedisLedgerStats>();
        builder.Services.AddSingleton<RedisSeatLedger>();
        builder.Services.AddSingleton<ISeatLedger>(services => services.GetRequiredService<RedisSeatLedger>());
        builder.Services.AddHostedService<RedisWarmUp>();
        builder.Services.AddHostedService<HeartbeatFlusher>();
        builder.Services.AddHealthChecks().AddCheck<RedisLedgerHealthCheck>("redis", tags: ["ready"]);
    }

    public static void MapJwks(this IEndpointRouteBuilder app) =>
        app.MapGet("/.well-known/jwks.json", (LeaseTokens tokens, HttpContext http) =>
        {
            // Short enough that a rotation reaches verifiers well within a lease's lifetime.
            http.Response.Headers.CacheControl = "public, max-age=300";
            return TypedResults.Json(tokens.Jwks());
        }).WithTags("Lease protocol");
}

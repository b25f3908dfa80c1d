using Coditect.Server.Data;
using Coditect.Server.Signing;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Coditect.Server.Licensing;

public static class LicensingExtensions
{
    public static WebApplicationBuilder AddLicensing(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<LicensingOptions>().BindConfiguration(LicensingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<ISeatLedger>(services =>
            services.GetRequiredService<IOptions<DatabaseOptions>>().Value.Provider == DatabaseProvider.Postgres
                ? new PostgresSeatLedger(services.GetRequiredService<NpgsqlDataSource>())
                : new SqliteSeatLedger(services.GetRequiredService<CoditectDbContext>()));
        builder.Services.AddSingleton<LeaseSweeper>();
        builder.Services.AddHostedService(services => services.GetRequiredService<LeaseSweeper>());
        return builder;
    }

    public static void MapJwks(this IEndpointRouteBuilder app) =>
        app.MapGet("/.well-known/jwks.json", (LeaseTokens tokens, HttpContext http) =>
        {
            // Short enough that a rotation reaches verifiers well within a lease's lifetime.
            http.Response.Headers.CacheControl = "public, max-age=300";
            return TypedResults.Json(tokens.Jwks());
        }).WithTags("Lease protocol");
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Http.Json;
using Coditect.Server.Platform.Telemetry;
using Scalar.AspNetCore;

namespace Coditect.Server.Platform;

/// <summary><c>Api:*</c> settings.</summary>
public sealed class ApiOptions
{
    public const string Section = "Api";

    [System.ComponentModel.DataAnnotations.Range(1024, 100 * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Behind a load balancer or TLS-terminating proxy: take the client address and scheme from X-Forwarded-For and
    /// X-Forwarded-Proto (per-address rate limits and HSTS depend on them). Only turn on when a proxy sets them.
    /// </summary>
    public bool TrustForwardedHeaders { get; set; }
}

/// <summary>What every endpoint shares: JSON conventions, errors, authentication, limits, health, metrics and API docs.</summary>
public static class PlatformExtensions
{
    public static readonly JsonNamingPolicy WireNaming = JsonNamingPolicy.SnakeCaseLower;

    public static WebApplicationBuilder AddPlatform(this WebApplicationBuilder builder)
    {
        Topology.Of(builder);
        builder.Services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<AppOptions>().BindConfiguration(AppOptions.Section)
            .Validate(AppOptions.IsValid, "App:PublicUrl must be an absolute http or https URL without a query, e.g. https://licenses.example.com.")
            .ValidateOnStart();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<ApiOptions>>((kestrel, api) =>
        {
            kestrel.Limits.MaxRequestBodySize = api.Value.MaxRequestBodyBytes;
            kestrel.AddServerHeader = false;
        });
        builder.Services.AddSingleton(TimeProvider.System);

        builder.Logging.Configure(logging => logging.ActivityTrackingOptions =
            Microsoft.Extensions.Logging.ActivityTrackingOptions.TraceId | Microsoft.Extensions.Logging.ActivityTrackingOptions.SpanId);
        if (string.Equals(builder.Configuration["Logging:Format"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.ClearProviders().AddJsonConsole(json =>
            {
                json.IncludeScopes = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                json.UseUtcTimestamp = true;
            });
        }
        else
        {
            builder.Logging.ClearProviders().AddSimpleConsole(console =>
            {
                console.IncludeScopes = true;
                console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                console.UseUtcTimestamp = true;
            });
        }

        builder.Services.Configure<JsonOptions>(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = WireNaming;
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(WireNaming));
            // The web defaults read "5" as 5; the API takes numbers as JSON numbers only (a string is 400).
            json.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        builder.Services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails(problems => problems.CustomizeProblemDetails = context =>
            context.ProblemDetails.Extensions["request_id"] = context.HttpContext.TraceIdentifier);
        builder.Services.AddExceptionHandler<ErrorHandling>();

        builder.Services.AddAuthorization();
        builder.AddRedis();
        builder.AddRateLimits();
        builder.AddHealth();
        builder.AddTelemetry();
        builder.Services.AddOpenApiContract();
        return builder;
    }

    public static WebApplication UsePlatform(this WebApplication app)
    {
        // First: a scrape is checked against the connection's own address, before forwarded headers can change it.
        app.UseMetricsEndpoint();
        var api = app.Services.GetRequiredService<IOptions<ApiOptions>>().Value;
        if (api.TrustForwardedHeaders)
        {
            var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto };
            forwarded.KnownIPNetworks.Clear();
            forwarded.KnownProxies.Clear();
            app.UseForwardedHeaders(forwarded);
        }

        app.UseRequestIds();
        app.UseSecurityHeaders();
        app.UseExceptionHandler();
        app.UseProblemStatusPages();
        // wwwroot (the console's styles and scripts): before authentication, so an asset costs no session check.
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = file => file.Context.Response.Headers.CacheControl =
                file.Context.Request.Query.ContainsKey("v") ? "public, max-age=31536000, immutable" : "public, max-age=300",
        });
        // Routing after the status pages, so that a console error page re-executed through them is routed anew.
        app.UseRouting();
        // After routing, so that an endpoint's own limit (commit batches, plans) applies; still before any body is read.
        app.UseBodyLimit(api.MaxRequestBodyBytes);
        app.UseReadOnlyConsoleReads();
        app.UseAuthentication();
        // The API's per-caller limit and its query checks; console pages validate their own forms and queries.
        app.UseWhen(http => !RequestPipeline.IsConsole(http.Request), apiOnly => apiOnly.UseApiRateLimit().UseWireTextParameters());
        app.UseAuthorization();
        app.UseWireText();
        return app;
    }

    public static void MapApiDocs(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        // Scalar's page at /docs, its script from the package's embedded assets (/docs/scalar.js). Nothing may come from
        // elsewhere (the Content-Security-Policy of /docs allows this origin only): no CDN fonts, no telemetry, no AI agent.
        app.MapScalarApiReference("/docs", docs =>
        {
            docs.Title = "CODITECT API";
            docs.OpenApiRoutePattern = "/openapi/{documentName}.json";
            docs.DefaultFonts = false;
            docs.Telemetry = false;
            docs.Agent = new ScalarAgentOptions { Disabled = true };
            docs.ShowDeveloperTools = DeveloperToolsVisibility.Never; // its buttons lead to Scalar's site
        });
    }
}

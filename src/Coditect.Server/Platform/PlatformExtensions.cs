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
    /// X-Forwarded-Proto (per-address rate limits and HSTS depend on them), when the peer is one of
    /// <see cref="TrustedProxies"/>. Only turn on when a proxy sets them.
    /// </summary>
    public bool TrustForwardedHeaders { get; set; }

    /// <summary>
    /// The peers whose forwarded headers count, comma-separated addresses or networks (<c>10.0.0.0/8</c>,
    /// <c>2001:db8::/32</c>); <c>*</c> trusts any peer. Empty: loopback and the private ranges, where load balancers
    /// of a cluster or a compose network sit. Only the last X-Forwarded-For entry is read: the one the proxy added.
    /// </summary>
    public string TrustedProxies { get; set; } = "";

    /// <summary>
    /// How many X-Forwarded-For entries, from the right, proxies appended: 1 behind one balancer such as nginx; 2
    /// behind Google's external load balancer, which appends the client's address and then its own (list that
    /// address in <see cref="TrustedProxies"/> too). A client's own entries further left are never read.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(1, 10)]
    public int ForwardLimit { get; set; } = 1;

    /// <summary>Loopback and private networks: the default <see cref="TrustedProxies"/>.</summary>
    public static readonly IReadOnlyList<System.Net.IPNetwork> PrivateNetworks =
        [.. new[] { "127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7" }.Select(System.Net.IPNetwork.Parse)];

    public bool TrustsAnyProxy => TrustedProxies.Trim() == "*";

    /// <summary>The networks <see cref="TrustedProxies"/> names (the private ones when empty), or null when one does not parse.</summary>
    public IReadOnlyList<System.Net.IPNetwork>? ProxyNetworks()
    {
        var items = TrustedProxies.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0)
        {
            return PrivateNetworks;
        }

        var networks = new List<System.Net.IPNetwork>();
        foreach (var item in items)
        {
            if (System.Net.IPNetwork.TryParse(item, out var network))
            {
                networks.Add(network);
            }
            else if (System.Net.IPAddress.TryParse(item, out var address))
            {
                networks.Add(new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                return null;
            }
        }

        return networks;
    }

    public static bool IsValid(ApiOptions options) => options.TrustsAnyProxy || options.ProxyNetworks() is not null;
}

/// <summary>What every endpoint shares: JSON conventions, errors, authentication, limits, health, metrics and API docs.</summary>
public static class PlatformExtensions
{
    public static readonly JsonNamingPolicy WireNaming = JsonNamingPolicy.SnakeCaseLower;

    public static WebApplicationBuilder AddPlatform(this WebApplicationBuilder builder)
    {
        Topology.Of(builder);
        builder.Services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateDataAnnotations()
            .Validate(ApiOptions.IsValid, "Api:TrustedProxies must be '*' or IP addresses and networks, comma-separated (e.g. 10.0.0.0/8, 192.0.2.7).")
            .ValidateOnStart();
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
            // Only the entries the proxies appended (Api:ForwardLimit), each believed only from a trusted peer: a client's
            // own X-Forwarded-For is not.
            var forwarded = new ForwardedHeadersOptions
            {
                ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
                ForwardLimit = api.ForwardLimit,
            };
            forwarded.KnownIPNetworks.Clear();
            forwarded.KnownProxies.Clear();
            if (!api.TrustsAnyProxy)
            {
                foreach (var network in api.ProxyNetworks()!)
                {
                    forwarded.KnownIPNetworks.Add(network);
                }
            }

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
        app.UseReadOnlyReads();
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

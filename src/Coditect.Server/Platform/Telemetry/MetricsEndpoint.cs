using System.Net;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Platform.Telemetry;

/// <summary>
/// Prometheus exposition at <c>/metrics</c>, for direct callers from <c>Metrics:AllowedNetworks</c> only, on the port
/// <c>Metrics:Port</c> names (or the server's own). Runs first in the pipeline: before forwarded headers are applied,
/// so the address checked is the connection's peer and no header can claim another; and before request ids, rate
/// limits and authentication, so a scrape costs none of them. Everyone else gets 404, as for an address that does
/// not exist: a request that came through a proxy (it carries <c>X-Forwarded-For</c> or <c>Forwarded</c>) is never
/// a scrape, so a load balancer that shares a network with Prometheus does not open it to the internet.
/// </summary>
public static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static IApplicationBuilder UseMetricsEndpoint(this IApplicationBuilder app)
    {
        var options = app.ApplicationServices.GetRequiredService<IOptions<MetricsOptions>>().Value;
        var networks = options.Networks()!; // validated at start
        var port = options.Port;

        if (port != 0)
        {
            // The metrics port serves /metrics to allowed callers and nothing else, not even the application's 404 page.
            app.Use((http, next) =>
            {
                if (http.Connection.LocalPort != port || Allowed(http, networks))
                {
                    return next(http);
                }

                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        }

        return app.UseOpenTelemetryPrometheusScrapingEndpoint(http =>
            (port == 0 || http.Connection.LocalPort == port) && Allowed(http, networks));
    }

    /// <summary>A direct, unproxied GET or HEAD of <c>/metrics</c> from an allowed network.</summary>
    internal static bool Allowed(HttpContext http, IReadOnlyList<IPNetwork> networks)
    {
        var request = http.Request;
        if (!request.Path.Equals(Path, StringComparison.Ordinal) || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            || request.Headers.ContainsKey("X-Forwarded-For") || request.Headers.ContainsKey("Forwarded"))
        {
            return false;
        }

        if (http.Connection.RemoteIpAddress is not { } peer)
        {
            return false;
        }

        if (peer.IsIPv4MappedToIPv6)
        {
            peer = peer.MapToIPv4();
        }

        foreach (var network in networks)
        {
            if (network.Contains(peer))
            {
                return true;
            }
        }

        return false;
    }
}

using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Notifications.Webhooks;

/// <summary>
/// Where webhooks may go. Unless <c>Webhooks:AllowPrivateNetworks</c>, an endpoint must be https and may not reach
/// loopback, private (RFC 1918, unique local), carrier-grade NAT, link-local (cloud metadata lives at 169.254.169.254),
/// multicast, reserved or unspecified addresses. The check runs when a URL is saved and again on every connection,
/// on the addresses the name resolves to then, so a name re-pointed at an internal address after it was saved is
/// still refused. Redirects are never followed.
/// </summary>
public static class WebhookNetwork
{
    public const string HttpClientName = "webhooks";

    private static readonly (IPAddress Network, int Prefix)[] Refused =
    [
        (IPAddress.Parse("0.0.0.0"), 8), (IPAddress.Parse("10.0.0.0"), 8), (IPAddress.Parse("100.64.0.0"), 10),
        (IPAddress.Parse("127.0.0.0"), 8), (IPAddress.Parse("169.254.0.0"), 16), (IPAddress.Parse("172.16.0.0"), 12),
        (IPAddress.Parse("192.0.0.0"), 24), (IPAddress.Parse("192.168.0.0"), 16), (IPAddress.Parse("198.18.0.0"), 15),
        (IPAddress.Parse("224.0.0.0"), 4), (IPAddress.Parse("240.0.0.0"), 4),
        (IPAddress.Parse("::"), 128), (IPAddress.Parse("::1"), 128), (IPAddress.Parse("fc00::"), 7),
        (IPAddress.Parse("fe80::"), 10), (IPAddress.Parse("ff00::"), 8),
    ];

    /// <summary>Whether an endpoint may connect to <paramref name="address"/> when private networks are not allowed.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return !Refused.Any(range => range.Network.AddressFamily == address.AddressFamily && InRange(address, range.Network, range.Prefix));
    }

    /// <summary>The reason <paramref name="url"/> cannot be an endpoint, or null. Names are resolved when connecting.</summary>
    public static string? Refusal(string url, bool allowPrivate)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.Host.Length == 0)
        {
            return "must be an absolute http or https URL.";
        }

        if (uri.UserInfo.Length > 0)
        {
            return "must not carry a user name or password.";
        }

        if (allowPrivate)
        {
            return null;
        }

        if (uri.Scheme != Uri.UriSchemeHttps)
        {
            return "must use https.";
        }

        var host = uri.DnsSafeHost;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var literal) && !IsPublic(literal)))
        {
            return "must not point to a loopback, private, link-local or metadata address.";
        }

        return null;
    }

    /// <summary>The webhooks' HTTP client: no proxy, no redirects, no cookies, and the address check on every connection.</summary>
    public static IServiceCollection AddWebhookHttpClient(this IServiceCollection services)
    {
        services.AddHttpClient(HttpClientName, (provider, http) =>
            {
                http.Timeout = provider.GetRequiredService<IOptions<WebhookOptions>>().Value.Timeout;
                http.DefaultRequestHeaders.UserAgent.ParseAdd("Coditect-Webhooks/1");
            })
            // Each attempt is in the delivery log already; the factory's default handlers would add four log entries per
            // delivery at Information (with the endpoint's URL, which may carry a token): at hundreds of deliveries a
            // second, most of the console's output and a good share of the node's CPU.
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(provider =>
            {
                var allowPrivate = provider.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowPrivateNetworks;
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    UseProxy = false,
                    UseCookies = false,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                    ConnectTimeout = TimeSpan.FromSeconds(5),
                    ConnectCallback = (context, ct) => ConnectAsync(context.DnsEndPoint, allowPrivate, ct),
                };
            });
        return services;
    }

    private static async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, bool allowPrivate, CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(endpoint.Host, ct);
        var allowed = allowPrivate ? addresses : [.. addresses.Where(IsPublic)];
        if (allowed.Length == 0)
        {
            throw new HttpRequestException(addresses.Length == 0
                ? $"{endpoint.Host} does not resolve."
                : $"{endpoint.Host} resolves only to loopback, private, link-local or metadata addresses, which webhooks may not reach.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endpoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static bool InRange(IPAddress address, IPAddress network, int prefix)
    {
        var a = address.GetAddressBytes();
        var n = network.GetAddressBytes();
        var whole = prefix / 8;
        if (!a.AsSpan(0, whole).SequenceEqual(n.AsSpan(0, whole)))
        {
            return false;
        }

        var rest = prefix % 8;
        return rest == 0 || (a[whole] & (0xFF << (8 - rest))) == (n[whole] & (0xFF << (8 - rest)));
    }
}

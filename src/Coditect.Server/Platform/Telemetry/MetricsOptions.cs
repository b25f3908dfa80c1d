using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Coditect.Server.Platform.Telemetry;

/// <summary><c>Metrics:*</c> settings: who may read <c>/metrics</c>, and on which port.</summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>
    /// 0: <c>/metrics</c> is served on the server's own port(s). Any other: Kestrel also listens on this port (all
    /// interfaces), which serves <c>/metrics</c> and nothing else, and the server's own port answers 404 there.
    /// </summary>
    [Range(0, 65535)]
    public int Port { get; set; }

    /// <summary>
    /// Comma-separated CIDR ranges whose direct callers may read <c>/metrics</c>; everyone else gets 404. Checked
    /// against the connection's own peer address, never a forwarded one. Default: loopback only.
    /// </summary>
    public string AllowedNetworks { get; set; } = "127.0.0.0/8,::1/128";

    /// <summary>
    /// How old a gauge read from the database (seats in use, outbox lag) may get before a scrape makes the node read it
    /// again: one query per gauge group per node per this many seconds at most, never one per scrape or per licence.
    /// </summary>
    [Range(1, 3600)]
    public int RefreshSeconds { get; set; } = 15;

    public TimeSpan Refresh => TimeSpan.FromSeconds(RefreshSeconds);

    /// <summary>The parsed <see cref="AllowedNetworks"/>, or null when one of them is not a CIDR range.</summary>
    public IReadOnlyList<IPNetwork>? Networks()
    {
        var networks = new List<IPNetwork>();
        foreach (var text in AllowedNetworks.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!IPNetwork.TryParse(text, out var network))
            {
                return null;
            }

            networks.Add(network);
        }

        return networks;
    }
}

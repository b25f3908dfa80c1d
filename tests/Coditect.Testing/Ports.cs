using System.Net;
using System.Net.Sockets;

namespace Coditect.Testing;

public static class Ports
{
    /// <summary>
    /// A free port below Linux's ephemeral range (32768+). Servers here are restarted on their port (a killed node, an
    /// outage, a restarted Redis or PostgreSQL); a port from the ephemeral range could meanwhile be taken as the source
    /// port of one of the many outgoing connections the tests make.
    /// </summary>
    public static int Free()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(20000, 32768);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // taken: try another
            }
        }

        throw new InvalidOperationException("No free port between 20000 and 32767.");
    }
}

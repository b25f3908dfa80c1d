using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MimeKit;
using netDumbster.smtp;

namespace Coditect.Server.Tests.Infrastructure;

/// <summary>
/// A real SMTP server on loopback (netDumbster) that keeps what it receives as parsed MIME messages. It can be taken
/// down and brought back on the same port, to show that mail queued meanwhile still arrives.
/// </summary>
public sealed class SmtpCatcher : IDisposable
{
    private readonly ConcurrentQueue<MimeMessage> _received = new();
    private SimpleSmtpServer? _server;

    public SmtpCatcher()
    {
        Port = FreePort();
        Start();
    }

    public int Port { get; }

    public IReadOnlyList<MimeMessage> Received => [.. _received];

    public IReadOnlyList<MimeMessage> To(string address) =>
        [.. _received.Where(m => m.To.Mailboxes.Any(a => string.Equals(a.Address, address, StringComparison.OrdinalIgnoreCase)))];

    public void Start()
    {
        _server = SimpleSmtpServer.Start(Port);
        _server.MessageReceived += (_, args) =>
            _received.Enqueue(MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(args.Message.Data))));
    }

    public void Stop()
    {
        _server?.Stop();
        _server = null;
    }

    public void Dispose() => Stop();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

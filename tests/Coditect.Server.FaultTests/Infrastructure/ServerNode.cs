using System.Collections.Concurrent;
using Coditect.Testing;

namespace Coditect.Server.FaultTests.Infrastructure;

/// <summary>
/// One node of a cluster: a <see cref="ServerProcess"/> (killable with SIGKILL, restartable on the same port) and the
/// HTTP connections clients use to reach it.
/// </summary>
public sealed class ServerNode : IDisposable
{
    private readonly ServerProcess _process;
    private readonly ConcurrentDictionary<string, HttpClient> _lanes = new(StringComparer.Ordinal);

    public ServerNode(string name, IReadOnlyDictionary<string, string> environment)
    {
        _process = new ServerProcess(name, environment);
        Http = NewClient();
    }

    public string Name => _process.Name;

    public int Port => _process.Port;

    public Uri Uri => _process.Uri;

    /// <summary>The connections most clients share (at most 48 at once, as behind a proxy).</summary>
    public HttpClient Http { get; }

    /// <summary>
    /// Connections of their own for one group of clients (<paramref name="lane"/>), so their requests never queue
    /// behind the shared pool's: a client machine does not wait for other machines' requests to finish.
    /// </summary>
    public HttpClient Lane(string lane) => _lanes.GetOrAdd(lane, _ => NewClient());

    public bool IsRunning => _process.IsRunning;

    public int? ProcessId => _process.ProcessId;

    public Task StartAsync() => _process.StartAsync();

    /// <summary>SIGKILL: no shutdown hooks, no flush, connections reset — a crash.</summary>
    public void Kill() => _process.Kill();

    public IReadOnlyList<string> Log() => _process.Log();

    public void Dispose()
    {
        _process.Dispose();
        Http.Dispose();
        foreach (var lane in _lanes.Values)
        {
            lane.Dispose();
        }
    }

    private HttpClient NewClient() => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 48,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(20),
    })
    {
        BaseAddress = Uri,
        Timeout = TimeSpan.FromSeconds(20), // a hung request fails the test instead of stalling it
    };
}

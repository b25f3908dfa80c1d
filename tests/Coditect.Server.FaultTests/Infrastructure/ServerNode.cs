using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace Coditect.Server.FaultTests.Infrastructure;

/// <summary>
/// One real server process (the built Coditect.Server.dll), on a port of its own. It can be killed with SIGKILL and
/// started again on the same port and settings, as a crashed node that a supervisor restarts.
/// </summary>
public sealed class ServerNode : IDisposable
{
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly List<string> _log = [];
    private readonly ConcurrentDictionary<string, HttpClient> _lanes = new(StringComparer.Ordinal);
    private Process? _process;

    public ServerNode(string name, IReadOnlyDictionary<string, string> environment)
    {
        Name = name;
        _environment = environment;
        Port = Commands.FreePort();
        Http = NewClient();
    }

    public string Name { get; }

    public int Port { get; }

    public Uri Uri => new($"http://127.0.0.1:{Port}/");

    /// <summary>The connections most clients share (at most 48 at once, as behind a proxy).</summary>
    public HttpClient Http { get; }

    /// <summary>
    /// Connections of their own for one group of clients (<paramref name="lane"/>), so their requests never queue
    /// behind the shared pool's: a client machine does not wait for other machines' requests to finish.
    /// </summary>
    public HttpClient Lane(string lane) => _lanes.GetOrAdd(lane, _ => NewClient());

    public bool IsRunning => _process is { HasExited: false };

    public int? ProcessId => _process?.Id;

    public async Task StartAsync()
    {
        var dll = ServerDll();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--urls", Uri.AbsoluteUri.TrimEnd('/') },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        Record($"---- {Name} starting at {DateTime.UtcNow:HH:mm:ss.fff}");
        _process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        _process.OutputDataReceived += (_, e) => Record(e.Data);
        _process.ErrorDataReceived += (_, e) => Record(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}:\n{string.Join('\n', Log())}");
            }

            try
            {
                using var response = await probe.GetAsync(new Uri(Uri, "health"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{Name} did not answer /health within 120 s:\n{string.Join('\n', Log())}");
    }

    /// <summary>SIGKILL: no shutdown hooks, no flush, connections reset — a crash.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            Record($"---- {Name} killed at {DateTime.UtcNow:HH:mm:ss.fff}");
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }

        _process?.Dispose();
        _process = null;
    }

    public IReadOnlyList<string> Log()
    {
        lock (_log)
        {
            return [.. _log];
        }
    }

    public void Dispose()
    {
        Kill();
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

    private void Record(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.Add(line);
            }
        }
    }

    private static string ServerDll()
    {
        // The test project builds the server (a ProjectReference without its assembly), same configuration, beside us.
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = here.Parent!.Name; // bin/<Configuration>/net10.0
        var root = here;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Coditect.slnx")))
        {
            root = root.Parent;
        }

        var dll = Path.Combine(root?.FullName ?? throw new InvalidOperationException("Coditect.slnx not found above the tests."),
            "src", "Coditect.Server", "bin", configuration, "net10.0", "Coditect.Server.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build the server first: {dll} is missing.", dll);
    }
}

using System.Diagnostics;
using System.Net;

namespace Coditect.Testing;

/// <summary>
/// The real server as a process (the built Coditect.Server.dll) on a port of its own below the ephemeral range. It
/// can be killed with SIGKILL and started again on the same port and settings, as a crashed node that a supervisor
/// restarts, or a server back after an outage. Used where a process is the point: crashes and outages.
/// </summary>
public sealed class ServerProcess(string name, IReadOnlyDictionary<string, string> environment) : IDisposable
{
    private readonly List<string> _log = [];
    private Process? _process;

    public string Name { get; } = name;

    public int Port { get; } = Ports.Free();

    public Uri Uri => new($"http://127.0.0.1:{Port}/");

    public bool IsRunning => _process is { HasExited: false };

    public int? ProcessId => _process?.Id;

    /// <summary>Starts the process and waits until <c>/health</c> answers 200.</summary>
    public async Task StartAsync(TimeSpan? timeout = null)
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
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        Record($"---- {Name} starting at {DateTime.UtcNow:HH:mm:ss.fff}");
        _process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        _process.OutputDataReceived += (_, e) => Record(e.Data);
        _process.ErrorDataReceived += (_, e) => Record(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var limit = timeout ?? TimeSpan.FromSeconds(120);
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + limit;
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

        throw new TimeoutException($"{Name} did not answer /health within {limit.TotalSeconds:0} s:\n{string.Join('\n', Log())}");
    }

    /// <summary>
    /// Runs the server with <paramref name="arguments"/> (an operator command such as <c>create-staff</c>) to its end:
    /// its exit code, standard output and standard error.
    /// </summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunCommandAsync(
        IReadOnlyDictionary<string, string> environment, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var dll = ServerDll();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', start.ArgumentList)} did not finish within {(timeout ?? TimeSpan.FromSeconds(120)).TotalSeconds} s.");
        }

        return (process.ExitCode, await output, await error);
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

    public void Dispose() => Kill();

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

    /// <summary>The server the test project built beside itself (same configuration), found from the solution root.</summary>
    public static string ServerDll()
    {
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

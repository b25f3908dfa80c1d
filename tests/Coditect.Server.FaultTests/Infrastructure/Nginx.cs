using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Coditect.Server.FaultTests.Infrastructure;

/// <summary>
/// nginx in front of some nodes, with the repository's own configuration (deploy/nginx/coditect.conf.template, its
/// variables filled as the nginx image fills them) inside a minimal nginx.conf of the test's. Runs in the foreground as
/// a child process; its access log names the node that answered each request.
/// </summary>
public sealed class Nginx : IAsyncDisposable
{
    public const string Variable = "CODITECT_TEST_NGINX";

    private readonly string _folder = Directory.CreateTempSubdirectory("coditect-faults-nginx-").FullName;
    private Process? _process;

    public int Port { get; } = Coditect.Testing.Ports.Free();

    public Uri Uri => new($"http://127.0.0.1:{Port}/");

    /// <summary>Starts nginx in front of <paramref name="nodes"/> and waits until it accepts connections.</summary>
    public static async Task<Nginx> StartAsync(IEnumerable<ServerNode> nodes)
    {
        var nginx = new Nginx();
        try
        {
            await nginx.RunAsync(nodes);
            return nginx;
        }
        catch
        {
            await nginx.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Each request's path and the nodes (host:port, comma-separated when nginx moved on to the next) it went to, as the
    /// access log has them so far.
    /// </summary>
    public IReadOnlyList<(string Path, string Upstream, int Status)> Requests()
    {
        var log = Path.Combine(_folder, "access.log");
        if (!File.Exists(log))
        {
            return [];
        }

        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var requests = new List<(string, string, int)>();
        while (reader.ReadLine() is { } line)
        {
            var parts = line.Split('|');
            requests.Add((parts[0], parts[1], int.Parse(parts[2], CultureInfo.InvariantCulture)));
        }

        return requests;
    }

    public string ErrorLog() => File.Exists(Path.Combine(_folder, "error.log")) ? File.ReadAllText(Path.Combine(_folder, "error.log")) : "";

    private async Task RunAsync(IEnumerable<ServerNode> nodes)
    {
        var binary = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } set ? set
            : File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx"
            : throw new InvalidOperationException($"{Variable} is not set and /usr/sbin/nginx is missing: run the tests with scripts/test.sh, which installs nginx.");
        var template = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "deploy", "nginx", "coditect.conf.template"));
        var servers = string.Join("\n    ", nodes.Select(n => $"server 127.0.0.1:{n.Port} max_fails=1 fail_timeout=5s;"));
        await File.WriteAllTextAsync(Path.Combine(_folder, "coditect.conf"), template
            .Replace("${NGINX_PORT}", $"127.0.0.1:{Port}", StringComparison.Ordinal)
            .Replace("${CODITECT_NODES}", servers, StringComparison.Ordinal));
        // As root the workers would run as nobody, who cannot write here: they run as root too (a test box only).
        await File.WriteAllTextAsync(Path.Combine(_folder, "nginx.conf"), $$"""
            {{(Commands.IsRoot ? "user root;" : "")}}
            daemon off;
            worker_processes 1;
            pid {{_folder}}/nginx.pid;
            error_log {{_folder}}/error.log warn;
            events { worker_connections 512; }
            http {
                log_format upstreams '$request_uri|$upstream_addr|$status';
                access_log {{_folder}}/access.log upstreams;
                client_body_temp_path {{_folder}}/client_body;
                proxy_temp_path {{_folder}}/proxy;
                include {{_folder}}/coditect.conf;
            }
            """);
        var start = new ProcessStartInfo(binary)
        {
            ArgumentList = { "-p", _folder, "-c", Path.Combine(_folder, "nginx.conf"), "-e", Path.Combine(_folder, "error.log") },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("nginx did not start.");
        for (var i = 0; i < 100; i++)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited with {_process.ExitCode}:\n{await _process.StandardError.ReadToEndAsync()}{ErrorLog()}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"nginx did not listen on {Port}:\n{ErrorLog()}");
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Coditect.slnx")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Coditect.slnx) is not above " + AppContext.BaseDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // a log still open for a moment; the temporary folder is cleaned by the OS
        }
    }
}

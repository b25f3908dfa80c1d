using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using Coditect.Client;
using Coditect.Contracts.Licensing;

namespace Coditect.Client.Tests.Infrastructure;

/// <summary>
/// The real server, started as a process from its built dll on a SQLite file of its own, with short leases. It can be
/// stopped and started again on the same port, database and master key, as an outage would.
/// </summary>
public class RealServer : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("coditect-client-test-").FullName;
    private readonly string _masterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly int _port = FreePort();
    private Process? _process;
    private readonly List<string> _log = [];

    protected virtual int LeaseTtlSeconds => 6;

    public Uri Uri => new($"http://127.0.0.1:{_port}/");

    public string Folder => _folder;

    public async Task InitializeAsync() => await StartAsync();

    public async Task DisposeAsync()
    {
        Stop();
        await Task.Delay(100);
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // a file still held by the exiting process; the temp folder is cleaned by the OS
        }
    }

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { ServerDll(), "--urls", Uri.AbsoluteUri.TrimEnd('/') },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(ServerDll())!,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["ConnectionStrings__Database"] = $"Data Source={Path.Combine(_folder, "c.db")}";
        start.Environment["Secrets__MasterKey"] = _masterKey;
        start.Environment["Licensing__LeaseTtlSeconds"] = LeaseTtlSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Licensing__SweepIntervalSeconds"] = "1";
        start.Environment["Identity__Argon2MemoryKiB"] = "1024";
        start.Environment["Identity__Argon2Iterations"] = "1";
        start.Environment["RateLimits__SignInPerMinute"] = "100000";
        start.Environment["RateLimits__ApiPerMinute"] = "1000000";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        _process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        _process.OutputDataReceived += (_, e) => Record(e.Data);
        _process.ErrorDataReceived += (_, e) => Record(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with {_process.ExitCode}:\n{string.Join("\n", Log())}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(Uri, "health"));
                if (response.IsSuccessStatusCode)
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

        throw new TimeoutException($"The server did not answer /health within 90 s:\n{string.Join("\n", Log())}");
    }

    /// <summary>Kills the server at once, as a crash or a pulled cable would look to clients.</summary>
    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
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

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Add(line);
        }
    }

    /// <summary>Registers a new user with an organization of their own and signs an admin client in as them.</summary>
    public async Task<Vendor> NewVendorAsync()
    {
        var email = $"v{Guid.NewGuid():N}@example.com";
        const string password = "correct horse battery staple";
        using (var http = new HttpClient())
        {
            using var response = await http.PostAsJsonAsync(new Uri(Uri, "api/v1/auth/register"),
                new { email, password, name = "Vendor", organization_name = "Vendor " + Guid.NewGuid().ToString("N")[..8] });
            response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        }

        var admin = new AdminClient(Uri);
        var tokens = await admin.LoginAsync(email, password);
        var org = tokens.Organization?.Slug ?? (await admin.ListOrganizationsAsync()).Items[0].Slug;
        return new Vendor(admin, org, email, password);
    }

    public LicenseClient LicenseClient(string key, LicenseClientOptions? options = null)
    {
        options ??= new LicenseClientOptions();
        options.JwksCachePath ??= Path.Combine(_folder, "jwks-" + Guid.NewGuid().ToString("N") + ".json");
        return new LicenseClient(Uri, key, options);
    }

    private static string ServerDll()
    {
        // The test project builds the server (a ProjectReference without its assembly); same configuration, beside us.
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A vendor account: an admin client signed in, and its organization.</summary>
public sealed record Vendor(AdminClient Admin, string Org, string Email, string Password)
{
    public Task<LicenseResponse> NewLicenseAsync(int seats = 1) =>
        Admin.CreateLicenseAsync(Org, new CreateLicenseRequest("Licence " + Guid.NewGuid().ToString("N")[..6], seats, null, ["pro"]));
}

/// <summary>The server most tests share (leases of 6 s).</summary>
[CollectionDefinition(Name)]
public sealed class SharedServerCollection : ICollectionFixture<RealServer>
{
    public const string Name = "real server";
}

/// <summary>Waits for a condition, polling; fails naming what it waited for.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting until {what}.");
            }

            await Task.Delay(50);
        }
    }
}

using System.Globalization;
using System.Security.Cryptography;

namespace Coditect.Console.Tests.Infrastructure;

/// <summary>The databases the console is tested on: the embedded default and PostgreSQL with row-level security.</summary>
public enum Backend
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The real server as a process (<see cref="ServerProcess"/>) on one backend: a SQLite file of its own, or a PostgreSQL
/// database owned by a role of its own (from the server scripts/test.sh starts). Leases are short so that live views
/// and lapses show within a test.
/// </summary>
public sealed class ConsoleServer(Backend backend) : IAsyncDisposable
{
    public const int LeaseTtlSeconds = 30;

    private readonly string _folder = Directory.CreateTempSubdirectory("coditect-console-test-").FullName;
    private readonly string _database = $"console_{Guid.NewGuid():N}"[..24];
    private ServerProcess? _server;
    private Dictionary<string, string>? _environment;

    public Backend Backend => backend;

    public Uri Uri => _server?.Uri ?? throw new InvalidOperationException("Not started.");

    public IReadOnlyList<string> Log() => _server?.Log() ?? [];

    /// <summary>The server's own database connection string (a PostgreSQL role without BYPASSRLS, or the SQLite file).</summary>
    public string ConnectionString => _environment?["ConnectionStrings__Database"] ?? throw new InvalidOperationException("Not started.");

    public async Task StartAsync(IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>(TestSettings.Defaults)
        {
            ["Secrets:MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Licensing:LeaseTtlSeconds"] = LeaseTtlSeconds.ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
            // Webhooks go to receivers the tests start on loopback.
            ["Webhooks:AllowPrivateNetworks"] = "true",
            ["Webhooks:PollMilliseconds"] = "200",
        };
        if (backend == Backend.Postgres)
        {
            settings["Database:Provider"] = "Postgres";
            settings["ConnectionStrings:Database"] = await TestPostgres.CreateDatabaseAsync(_database);
        }
        else
        {
            settings["ConnectionStrings:Database"] = $"Data Source={Path.Combine(_folder, "coditect.db")}";
        }

        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        var environment = TestSettings.AsEnvironment(settings).Append(KeyValuePair.Create("ASPNETCORE_ENVIRONMENT", "Testing")).ToDictionary();
        _server = new ServerProcess($"console-{backend}", environment);
        // The links the server writes (invitations) lead to this server, as App:PublicUrl does in production.
        environment.TryAdd("App__PublicUrl", _server.Uri.AbsoluteUri.TrimEnd('/'));
        _environment = environment;
        await _server.StartAsync(TimeSpan.FromSeconds(90));
    }

    /// <summary>
    /// Runs an operator command (<c>create-staff EMAIL</c>, say) as an operator would: the server's executable with the
    /// same settings as the running server, against the same database. Returns its exit code and output.
    /// </summary>
    public Task<(int ExitCode, string Output, string Error)> RunCommandAsync(params string[] arguments) =>
        ServerProcess.RunCommandAsync(_environment ?? throw new InvalidOperationException("Not started."), arguments, TimeSpan.FromSeconds(90));

    public async ValueTask DisposeAsync()
    {
        _server?.Kill();
        if (backend == Backend.Postgres)
        {
            await TestPostgres.DropDatabaseAsync(_database);
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // a file still held by the exiting process; the temp folder is cleaned by the OS
        }
    }
}

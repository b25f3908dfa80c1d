using System.Security.Cryptography;
using Coditect.Server.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Coditect.Server.Tests.Infrastructure;

/// <summary>
/// The real server in process, on a real database of its own. Derived per backend so each test class runs as a
/// pair (…OnSqlite, …OnPostgres) sharing one server per class; tests make their own users and organizations, so
/// they do not interfere.
/// </summary>
public abstract class CoditectApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    private readonly string _name = "coditect_t" + Guid.NewGuid().ToString("N")[..12];
    private string _connectionString = "";
    private readonly string _masterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private string? _sqliteFolder;

    public abstract DatabaseProvider Provider { get; }

    public string ConnectionString => _connectionString;

    public string MasterKey => _masterKey;

    /// <summary>Extra settings for one fixture (e.g. tight rate limits).</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings => [];

    /// <summary>
    /// The server's clock: starts at the real time so tokens and stamps look ordinary, moves only when a test moves
    /// it (forward only, so a test that needs time to pass leaves it passed), plus a microsecond at every reading so
    /// rows stamped one after another keep their order, as they would on a real clock. Timers on it (the lease
    /// sweeper's) fire when a move passes their due time.
    /// </summary>
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow) { AutoAdvanceAmount = TimeSpan.FromMicroseconds(1) };

    public async Task InitializeAsync()
    {
        // A copy of the migrated schema: the server's migrator finds nothing to do.
        if (Provider == DatabaseProvider.Postgres)
        {
            _connectionString = await MigratedTemplates.CreatePostgresAsync(_name);
        }
        else
        {
            _sqliteFolder = Directory.CreateTempSubdirectory("coditect-test-").FullName;
            var path = Path.Combine(_sqliteFolder, "coditect.db");
            await MigratedTemplates.CreateSqliteAsync(path);
            _connectionString = $"Data Source={path}";
        }

        StartServer(); // start the host now: migrations run here, not inside the first test
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        if (Provider == DatabaseProvider.Postgres)
        {
            await TestPostgres.DropDatabaseAsync(_name);
        }
        else if (_sqliteFolder is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            // A last connection closing may still be removing the file's -wal and -shm: "directory not empty" (seen once
            // in a fresh-clone run). Try again briefly.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    Directory.Delete(_sqliteFolder, recursive: true);
                    break;
                }
                catch (IOException) when (attempt < 10)
                {
                    await Task.Delay(100);
                }
            }
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // UseSetting, not ConfigureAppConfiguration: Program reads some settings while it builds the host.
        foreach (var (key, value) in AllSettings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            services.AddSingleton(LogSink);
            services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(LogSink);
            ConfigureTestServices(services);
        });
    }

    /// <summary>Services one fixture adds (e.g. an outbox subscriber that records what it is given).</summary>
    protected virtual void ConfigureTestServices(IServiceCollection services)
    {
    }

    /// <summary>The settings this server runs with; a second node on the same database takes the same ones.</summary>
    public IEnumerable<KeyValuePair<string, string?>> AllSettings =>
    [
        new("Database:Provider", Provider.ToString()),
        new("ConnectionStrings:Database", _connectionString),
        new("Secrets:MasterKey", _masterKey),
        .. Coditect.Testing.TestSettings.Defaults.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)),
        // Sweeps run when a test calls SweepOnceAsync: moving the clock past the default 30 s would start one.
        new("Licensing:SweepIntervalSeconds", "3600"),
        // Likewise the alert jobs (RunOnceAsync in their tests): a test that moves the clock by minutes starts none.
        new("Notifications:ExpiryCheckSeconds", "86400"),
        new("Notifications:SeatAlertCheckSeconds", "3600"),
        .. Settings,
    ];

    /// <summary>Every log line the server wrote, for tests that check nothing secret is logged.</summary>
    public CapturedLogs LogSink { get; } = new();

    public Client Anonymous() => new(CreateClient(), this);
}

public sealed class SqliteApp : CoditectApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class PostgresApp : CoditectApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

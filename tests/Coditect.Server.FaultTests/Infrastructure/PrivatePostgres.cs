using System.Globalization;
using Npgsql;

namespace Coditect.Server.FaultTests.Infrastructure;

/// <summary>
/// A PostgreSQL server of the fault tests' own (never the suite's shared one, since these tests stop and restart it):
/// initdb into a temporary folder, run as the postgres user when we are root, on a free port, fsync off for speed.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _folder;
    private readonly string _data;
    private bool _disposed;

    private PrivatePostgres(string folder)
    {
        _folder = folder;
        _data = Path.Combine(folder, "pg");
        Port = Coditect.Testing.Ports.Free();
    }

    public int Port { get; }

    public string AdminConnectionString =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false;Timeout=10";

    private static string Bin =>
        Environment.GetEnvironmentVariable("CODITECT_TEST_PG_BIN") is { Length: > 0 } bin ? bin
        : Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(Directory.Exists)
                .OrderBy(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).LastOrDefault()
                ?? throw new InvalidOperationException("No PostgreSQL under /usr/lib/postgresql; run the suite with scripts/test.sh.")
            : throw new InvalidOperationException("CODITECT_TEST_PG_BIN is not set; run the suite with scripts/test.sh.");

    public static async Task<PrivatePostgres> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("coditect-faults-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101); // the postgres user must reach its data folder
        }

        var postgres = new PrivatePostgres(folder);
        try
        {
            Directory.CreateDirectory(postgres._data);
            if (Commands.IsRoot)
            {
                await Commands.RunAsync("chown", ["postgres", postgres._data]);
            }

            await Commands.RunAsync(Path.Combine(Bin, "initdb"),
                ["-D", postgres._data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"], asPostgres: true, timeout: TimeSpan.FromSeconds(120));
            await postgres.StartServerAsync();
            return postgres;
        }
        catch
        {
            await postgres.DisposeAsync();
            throw;
        }
    }

    public async Task StartServerAsync()
    {
        // fsync off is for test speed only; production keeps the defaults.
        var options = $"-c listen_addresses=127.0.0.1 -p {Port} -k {_data} -c max_connections=400 " +
                      "-c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        await Commands.RunAsync(Path.Combine(Bin, "pg_ctl"),
            ["-D", _data, "-w", "-t", "90", "-l", Path.Combine(_data, "server.log"), "-o", options, "start"], asPostgres: true, timeout: TimeSpan.FromSeconds(100));
    }

    /// <summary>Stops the server: <c>fast</c> ends every session (clients see 57P01), <c>immediate</c> is a crash.</summary>
    public async Task StopServerAsync(string mode = "fast") =>
        await Commands.RunAsync(Path.Combine(Bin, "pg_ctl"), ["-D", _data, "-w", "-t", "60", "-m", mode, "stop"], asPostgres: true, timeout: TimeSpan.FromSeconds(70));

    public bool IsRunning => File.Exists(Path.Combine(_data, "postmaster.pid"));

    /// <summary>A database owned by a role of its own, not a superuser, without BYPASSRLS, as production runs it.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        var password = Guid.NewGuid().ToString("N");
        await ExecuteAsync($"create role {name} login nosuperuser nobypassrls nocreatedb nocreaterole password '{password}'");
        await ExecuteAsync($"create database {name} owner {name}");
        return new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Database = name,
            Username = name,
            Password = password,
            MaxPoolSize = 40,
        }.ConnectionString;
    }

    public string AdminConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database }.ConnectionString;

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public string ServerLog()
    {
        var path = Path.Combine(_data, "server.log");
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (IsRunning)
        {
            await Commands.RunAsync(Path.Combine(Bin, "pg_ctl"), ["-D", _data, "-m", "immediate", "stop"], asPostgres: true, check: false);
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // a file still held by an exiting process; the OS cleans temp folders
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"PostgreSQL on port {Port}");
}

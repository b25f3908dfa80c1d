using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Coditect.Bench;

/// <summary>
/// The machine's own limit for the SQLite ledger (issue 17 §1): <c>Coditect.Bench sqlite-loop --database FILE
/// [--seconds S]</c>. On the file a SQLite server left behind (the server stopped), one thread on one connection runs the
/// statements the server's ledger runs (SqliteLedgerSql's, copied here), one call per <c>BEGIN IMMEDIATE</c> ...
/// <c>COMMIT</c> transaction, as fast as it can, with the server's connection settings (SqliteConnectionSettings: WAL,
/// <c>synchronous = FULL</c>, no memory map): the heartbeat of the licence with the most
/// live sessions, then acquire + release pairs on it. No HTTP, no EF, no batching: the single-writer loop the issue
/// compares the server with. Prints one JSON object.
/// </summary>
internal static class SqliteLoop
{
    private const string Settings = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = FULL";

    // The statements of src/Coditect.Server/Licensing/Ledger/SqliteLedgerSql.cs, copied: keep them in step.
    private const string FindLicense = """
        SELECT l.id, l.tenant_id, l.seats_total, l.state, l.expires_at, l.entitlements, l.type, l.borrow_max_hours,
               EXISTS (SELECT 1 FROM organizations o WHERE o.id = l.tenant_id AND o.suspended_at IS NOT NULL)
        FROM licenses l
        WHERE l.key_hash = @keyHash
        """;

    private const string CountLive = "SELECT count(*) FROM license_sessions WHERE license_id = @licenseId AND status = 'active' AND expires_at > @now";

    private const string Heartbeat = """
        UPDATE license_sessions
        SET expires_at = max(expires_at, @expires), last_heartbeat_at = @now, heartbeat_count = heartbeat_count + 1, updated_at = @now
        WHERE id = @sessionId AND license_id = @licenseId AND status = 'active' AND expires_at > @now
        RETURNING hardware_id, expires_at, borrowed_until
        """;

    private const string FindSession = "SELECT hardware_id, expires_at, status FROM license_sessions WHERE id = @sessionId AND license_id = @licenseId";

    private const string FindMine = """
        SELECT id, expires_at FROM license_sessions WHERE license_id = @licenseId AND hardware_id = @hardwareId AND status = 'active' LIMIT 1
        """;

    private const string LatestEnd = "SELECT max(ended_at) FROM license_sessions WHERE license_id = @licenseId AND ended_at > @now";

    private const string InsertSession = """
        INSERT INTO license_sessions (id, tenant_id, license_id, hardware_id, user_email, client_hostname, client_app_version, client_os,
                                      status, started_at, last_heartbeat_at, expires_at, borrowed_until, ended_at, heartbeat_count,
                                      created_at, updated_at)
        VALUES (@sessionId, @tenantId, @licenseId, @hardwareId, NULL, 'bench-host', 'bench', 'linux',
                'active', @now, @now, @expires, NULL, NULL, 0, @now, @now)
        """;

    private const string EndSession = "UPDATE license_sessions SET status = 'released', ended_at = @now, updated_at = @now WHERE id = @sessionId";

    private const string Usage = """
        INSERT INTO license_usage (license_id, hour_start, tenant_id, acquisitions, releases, expiries, kicks, denials,
                                   peak_seats_used, last_seats_used, queue_denials, queue_grants, queue_wait_seconds)
        VALUES (@licenseId, @hour, @tenantId, @acquisitions, @releases, 0, 0, 0, coalesce(@peak, 0), coalesce(@last, 0), 0, 0, 0)
        ON CONFLICT (license_id, hour_start) DO UPDATE SET
            acquisitions = acquisitions + excluded.acquisitions, releases = releases + excluded.releases,
            expiries = expiries + excluded.expiries, denials = denials + excluded.denials,
            peak_seats_used = max(peak_seats_used, excluded.peak_seats_used),
            last_seats_used = coalesce(@last, last_seats_used)
        """;

    public static int Run(string[] args)
    {
        string? database = null, json = null;
        var seconds = 10;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--database": database = args[i + 1]; break;
                case "--seconds": seconds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--json": json = args[i + 1]; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        if (database is null || !File.Exists(database))
        {
            Console.Error.WriteLine("usage: Coditect.Bench sqlite-loop --database FILE [--seconds S] [--json FILE]");
            return 2;
        }

        using var connection = new SqliteConnection($"Data Source={database};Default Timeout=30");
        connection.Open();
        Execute(connection, Settings);
        var synchronous = Scalar(connection, "PRAGMA synchronous");
        var journal = Scalar(connection, "PRAGMA journal_mode");
        var (licenseId, tenantId, keyHash, sessions) = HotLicense(connection);

        var heartbeats = Measure(seconds, i =>
        {
            var now = DateTime.UtcNow;
            InTransaction(connection, () =>
            {
                Read(connection, FindLicense, ("@keyHash", keyHash));
                Read(connection, Heartbeat, ("@sessionId", sessions[i % sessions.Count]), ("@licenseId", licenseId),
                    ("@expires", Text(now.AddHours(1))), ("@now", Text(now)));
            });
        });

        var churn = Measure(seconds, i =>
        {
            var now = DateTime.UtcNow;
            var hour = Text(new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc));
            var session = Guid.CreateVersion7().ToString().ToUpperInvariant();
            var hardware = $"loop-{i}";
            InTransaction(connection, () => // acquire
            {
                Read(connection, FindLicense, ("@keyHash", keyHash));
                var used = Convert.ToInt32(Scalar(connection, CountLive, ("@licenseId", licenseId), ("@now", Text(now))), CultureInfo.InvariantCulture);
                Read(connection, FindMine, ("@licenseId", licenseId), ("@hardwareId", hardware));
                Scalar(connection, LatestEnd, ("@licenseId", licenseId), ("@now", Text(now)));
                Execute(connection, InsertSession, ("@sessionId", session), ("@tenantId", tenantId), ("@licenseId", licenseId),
                    ("@hardwareId", hardware), ("@now", Text(now)), ("@expires", Text(now.AddHours(1))));
                Execute(connection, Usage, ("@licenseId", licenseId), ("@hour", hour), ("@tenantId", tenantId), ("@acquisitions", 1),
                    ("@releases", 0), ("@peak", used + 1), ("@last", used + 1));
            });
            InTransaction(connection, () => // release
            {
                Read(connection, FindLicense, ("@keyHash", keyHash));
                Read(connection, FindSession, ("@sessionId", session), ("@licenseId", licenseId));
                Execute(connection, EndSession, ("@now", Text(now)), ("@sessionId", session));
                var used = Convert.ToInt32(Scalar(connection, CountLive, ("@licenseId", licenseId), ("@now", Text(now))), CultureInfo.InvariantCulture);
                Execute(connection, Usage, ("@licenseId", licenseId), ("@hour", hour), ("@tenantId", tenantId), ("@acquisitions", 0),
                    ("@releases", 1), ("@peak", DBNull.Value), ("@last", used));
            });
        });

        var result = new
        {
            synchronous = synchronous?.ToString() switch { "0" => "OFF", "1" => "NORMAL", "2" => "FULL", "3" => "EXTRA", var s => s },
            journal_mode = journal,
            live_sessions = sessions.Count,
            heartbeats_per_second = Math.Round(heartbeats, 1),
            churn_per_second = Math.Round(churn, 1),
        };
        var text = JsonSerializer.Serialize(result);
        Console.WriteLine(text);
        if (json is not null)
        {
            File.WriteAllText(json, text);
        }

        return 0;
    }

    /// <summary>Calls of <paramref name="call"/> per second over <paramref name="seconds"/> seconds, after one second of warm-up.</summary>
    private static double Measure(int seconds, Action<int> call)
    {
        var i = 0;
        var warmup = Stopwatch.StartNew();
        while (warmup.Elapsed < TimeSpan.FromSeconds(1))
        {
            call(i++);
        }

        var start = i;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            call(i++);
        }

        return (i - start) / clock.Elapsed.TotalSeconds;
    }

    private static (string LicenseId, string TenantId, string KeyHash, List<string> Sessions) HotLicense(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT l.id, l.tenant_id, l.key_hash FROM licenses l JOIN license_sessions s ON s.license_id = l.id
            WHERE s.status = 'active' GROUP BY l.id ORDER BY count(*) DESC LIMIT 1
            """;
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            throw new InvalidOperationException("no licence with live sessions in this file: run the server's scenarios first");
        }

        var (license, tenant, key) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
        using var list = connection.CreateCommand();
        list.CommandText = "SELECT id FROM license_sessions WHERE license_id = @licenseId AND status = 'active' LIMIT 10000";
        list.Parameters.AddWithValue("@licenseId", license);
        using var rows = list.ExecuteReader();
        var sessions = new List<string>();
        while (rows.Read())
        {
            sessions.Add(rows.GetString(0));
        }

        return (license, tenant, key, sessions);
    }

    private static string Text(DateTime time) => time.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);

    /// <summary>The open transaction (one thread, one connection): Microsoft.Data.Sqlite wants it on every command.</summary>
    private static SqliteTransaction? _transaction;

    private static void InTransaction(SqliteConnection connection, Action work)
    {
        using var transaction = connection.BeginTransaction(); // BEGIN IMMEDIATE, as the server's
        _transaction = transaction;
        work();
        transaction.Commit();
        _transaction = null;
    }

    private static bool Read(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        using var reader = command.ExecuteReader();
        return reader.Read();
    }

    private static object? Scalar(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteScalar();
    }

    private static void Execute(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = _transaction;
        foreach (var (name, value) in parameters)
        {
            // As EF Core stores them on SQLite: times as 'yyyy-MM-dd HH:mm:ss.FFFFFFF' text (Microsoft.Data.Sqlite's own format).
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Coditect.Bench;

/// <summary>
/// The machine's own limit for the SQLite ledger (issue 17 §1): <c>Coditect.Bench sqlite-loop --database FILE
/// [--seconds S]</c>. On the file a SQLite server left behind (the server stopped), one thread on one connection runs the
/// statements the server's ledger runs (the SQL EF Core sends for SqliteSeatLedger, copied from its command log), one
/// call per <c>BEGIN IMMEDIATE</c> ... <c>COMMIT</c> transaction, as fast as it can, with the server's connection
/// settings (SqliteConnectionSettings: WAL, <c>synchronous = FULL</c>, mmap): the heartbeat of the licence with the most
/// live sessions, then acquire + release pairs on it. No HTTP, no EF, no batching: the single-writer loop the issue
/// compares the server with. Prints one JSON object.
/// </summary>
internal static class SqliteLoop
{
    private const string Settings = "PRAGMA mmap_size = 1073741824; PRAGMA busy_timeout = 30000; PRAGMA synchronous = FULL";

    private const string FindLicense = """
        SELECT "l"."id", "l"."borrow_max_hours", "l"."created_at", "l"."entitlements", "l"."expires_at", "l"."key_hash", "l"."key_preview", "l"."managed_by", "l"."metadata", "l"."name", "l"."seats_total", "l"."state", "l"."tenant_id", "l"."type", "l"."updated_at", EXISTS (
            SELECT 1
            FROM "organizations" AS "o"
            WHERE "o"."id" = "l"."tenant_id" AND "o"."suspended_at" IS NOT NULL) AS "OrganizationSuspended"
        FROM "licenses" AS "l"
        WHERE "l"."key_hash" = @keyHash
        LIMIT 1
        """;

    private const string SessionColumns = """
        "l"."id", "l"."borrowed_until", "l"."client_app_version", "l"."client_hostname", "l"."client_os", "l"."created_at", "l"."ended_at", "l"."expires_at", "l"."hardware_id", "l"."heartbeat_count", "l"."last_heartbeat_at", "l"."license_id", "l"."started_at", "l"."status", "l"."tenant_id", "l"."updated_at", "l"."user_email"
        """;

    private const string FindSession = $"""
        SELECT {SessionColumns}
        FROM "license_sessions" AS "l"
        WHERE "l"."id" = @sessionId AND "l"."license_id" = @licenseId
        LIMIT 1
        """;

    private const string Heartbeat = """
        UPDATE "license_sessions" SET "expires_at" = @expires, "heartbeat_count" = "heartbeat_count" + 1, "last_heartbeat_at" = @now, "updated_at" = @now
        WHERE "id" = @sessionId
        RETURNING 1
        """;

    private const string CountLive = """
        SELECT COUNT(*)
        FROM "license_sessions" AS "l"
        WHERE "l"."license_id" = @licenseId AND "l"."status" = 'active' AND "l"."expires_at" > @now
        """;

    private const string FindUsage = """
        SELECT "l"."license_id", "l"."hour_start", "l"."acquisitions", "l"."denials", "l"."expiries", "l"."kicks", "l"."last_seats_used", "l"."peak_seats_used", "l"."queue_denials", "l"."queue_grants", "l"."queue_wait_seconds", "l"."releases", "l"."tenant_id"
        FROM "license_usage" AS "l"
        WHERE "l"."license_id" = @licenseId AND "l"."hour_start" = @hour
        LIMIT 1
        """;

    private const string InsertUsage = """
        INSERT INTO "license_usage" ("hour_start", "license_id", "acquisitions", "denials", "expiries", "kicks", "last_seats_used", "peak_seats_used", "queue_denials", "queue_grants", "queue_wait_seconds", "releases", "tenant_id")
        VALUES (@hour, @licenseId, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, @tenantId)
        """;

    private const string FindMine = $"""
        SELECT {SessionColumns}
        FROM "license_sessions" AS "l"
        WHERE "l"."license_id" = @licenseId AND "l"."hardware_id" = @hardwareId AND "l"."status" = 'active'
        LIMIT 1
        """;

    private const string LatestEnd = """
        SELECT MAX("l"."ended_at")
        FROM "license_sessions" AS "l"
        WHERE "l"."license_id" = @licenseId AND "l"."ended_at" > @now
        """;

    private const string InsertSession = """
        INSERT INTO "license_sessions" ("id", "borrowed_until", "client_app_version", "client_hostname", "client_os", "created_at", "ended_at", "expires_at", "hardware_id", "heartbeat_count", "last_heartbeat_at", "license_id", "started_at", "status", "tenant_id", "updated_at", "user_email")
        VALUES (@sessionId, NULL, 'bench', 'bench-host', 'linux', @now, NULL, @expires, @hardwareId, 0, @now, @licenseId, @now, 'active', @tenantId, @now, NULL)
        """;

    private const string AcquireUsage = """
        UPDATE "license_usage" SET "acquisitions" = "acquisitions" + 1, "last_seats_used" = @used, "peak_seats_used" = max("peak_seats_used", @used)
        WHERE "hour_start" = @hour AND "license_id" = @licenseId
        RETURNING 1
        """;

    private const string EndSession = """
        UPDATE "license_sessions" SET "ended_at" = @now, "status" = 'released', "updated_at" = @now
        WHERE "id" = @sessionId
        RETURNING 1
        """;

    private const string ReleaseUsage = """
        UPDATE "license_usage" SET "releases" = "releases" + 1
        WHERE "hour_start" = @hour AND "license_id" = @licenseId
        RETURNING 1
        """;

    private const string LastSeatsUsed = """
        UPDATE "license_usage" SET "last_seats_used" = @used
        WHERE "hour_start" = @hour AND "license_id" = @licenseId
        RETURNING 1
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
                var session = sessions[i % sessions.Count];
                Read(connection, FindSession, ("@sessionId", session), ("@licenseId", licenseId));
                Read(connection, Heartbeat, ("@expires", now.AddHours(1)), ("@now", now), ("@sessionId", session));
            });
        });

        var churn = Measure(seconds, i =>
        {
            var now = DateTime.UtcNow;
            var hour = new DateTime(now.Year, now.Month, now.Day, now.Hour, 0, 0, DateTimeKind.Utc);
            var session = Guid.CreateVersion7().ToString().ToUpperInvariant();
            var hardware = $"loop-{i}";
            InTransaction(connection, () => // acquire
            {
                Read(connection, FindLicense, ("@keyHash", keyHash));
                var used = Convert.ToInt32(Scalar(connection, CountLive, ("@licenseId", licenseId), ("@now", now)), CultureInfo.InvariantCulture);
                if (!Read(connection, FindUsage, ("@licenseId", licenseId), ("@hour", hour)))
                {
                    Execute(connection, InsertUsage, ("@hour", hour), ("@licenseId", licenseId), ("@tenantId", tenantId));
                }

                Read(connection, FindMine, ("@licenseId", licenseId), ("@hardwareId", hardware));
                Scalar(connection, LatestEnd, ("@licenseId", licenseId), ("@now", now));
                Execute(connection, InsertSession, ("@sessionId", session), ("@now", now), ("@expires", now.AddHours(1)),
                    ("@hardwareId", hardware), ("@licenseId", licenseId), ("@tenantId", tenantId));
                Read(connection, AcquireUsage, ("@used", used + 1), ("@hour", hour), ("@licenseId", licenseId));
            });
            InTransaction(connection, () => // release
            {
                Read(connection, FindLicense, ("@keyHash", keyHash));
                Read(connection, FindSession, ("@sessionId", session), ("@licenseId", licenseId));
                Read(connection, FindUsage, ("@licenseId", licenseId), ("@hour", hour));
                Read(connection, EndSession, ("@now", now), ("@sessionId", session));
                Read(connection, ReleaseUsage, ("@hour", hour), ("@licenseId", licenseId));
                var used = Scalar(connection, CountLive, ("@licenseId", licenseId), ("@now", now))!;
                Read(connection, LastSeatsUsed, ("@used", used), ("@hour", hour), ("@licenseId", licenseId));
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

using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Coditect.Server.Data;

/// <summary>
/// Per-connection SQLite settings, applied whenever EF opens a connection.
/// <para>
/// No memory map (<c>PRAGMA mmap_size</c> stays 0), not even for the message search, which reads a few thousand
/// scattered pages per query. In WAL mode SQLite drops a connection's mapping, and its page cache, at the start of any
/// read after another connection committed, so the mapped search faulted every page in again, and the server commits
/// every second or so (the cluster jobs, the lease protocol). Page faults cost more than <c>read()</c> calls on this
/// kind of virtual machine: at 1,000,000 messages the heaviest search took 130-190 ms mapped and 39 ms without the map,
/// and p99 at 20 searches a second went from over 1 s to 41 ms (docs/performance.md). Mapped pooled connections also
/// cost the lease protocol its page-table work (perf, bench/sqlite.sh: 1,500 heartbeats/s instead of 2,000).
/// </para>
/// <para>
/// A connection that finds the write lock taken waits inside SQLite (<c>PRAGMA busy_timeout</c>, <see cref="BusyTimeoutMs"/>),
/// which retries after 1, 2, 5, 10... ms. Without it Microsoft.Data.Sqlite retries by itself, sleeping 150 ms between
/// tries: a write that met another writer answered 150 ms late, which was most of the embedded server's tail latency
/// (docs/performance.md).
/// </para>
/// <para>
/// Durability: <c>synchronous = FULL</c> in WAL mode (stated here, whatever the SQLite build's default): every commit
/// waits for the log's fsync, so an acquire, a release or a licence the server answered survives a power cut, not only a
/// crash of the process. The seat ledger's writer shares one fsync among all the calls of a batch
/// (<see cref="Licensing.Ledger.SqliteLedgerWriter"/>), which is what makes the setting affordable.
/// </para>
/// </summary>
public sealed class SqliteConnectionSettings : DbConnectionInterceptor
{
    /// <summary>The same 30 s as the connection's command timeout (DataExtensions), after which a busy write fails.</summary>
    public const int BusyTimeoutMs = 30_000;

    public static readonly SqliteConnectionSettings Instance = new();

    private static readonly string Sql = $"PRAGMA busy_timeout = {BusyTimeoutMs}; PRAGMA synchronous = FULL";

    private SqliteConnectionSettings()
    {
    }

    private static async Task PragmaAsync(DbConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (FirstOpen(connection))
        {
            using var command = connection.CreateCommand();
            command.CommandText = Sql;
            command.ExecuteNonQuery();
        }
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (FirstOpen(connection))
        {
            await PragmaAsync(connection, Sql, cancellationToken);
        }
    }

    /// <summary>
    /// The settings live as long as the native connection, which Microsoft.Data.Sqlite's pool hands to one
    /// <see cref="SqliteConnection"/> after another: they are sent once per native connection, not once per request.
    /// </summary>
    private static bool FirstOpen(DbConnection connection) =>
        connection is not SqliteConnection { Handle: { } handle } || Configured.TryAdd(handle, Marker);

    private static readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> Configured = [];
    private static readonly object Marker = new();
}

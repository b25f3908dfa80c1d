using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Coditect.Server.Data;

/// <summary>
/// Per-connection SQLite settings, applied whenever EF opens a connection.
/// <para>
/// Memory-mapped reads only where they pay (<see cref="MapAsync"/>): the message search reads a few thousand scattered
/// rows per query, and through a mapping (<c>PRAGMA mmap_size</c>, up to <see cref="MmapBytes"/> of the file) instead of
/// a <c>read()</c> system call per page it used about a third less CPU at 1,000,000 messages (bench/messages.sh,
/// docs/performance.md). Not on every connection: mapped, the pooled connections of the lease protocol spent their time
/// in page-table work (<c>set_pmd</c>, <c>munmap</c>; perf, bench/sqlite.sh) and the server topped out at 1,500
/// heartbeats/s on two cores instead of 2,000.
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
    /// <summary>1 GiB of address space per connection (64-bit); pages beyond it are read as usual.</summary>
    public const long MmapBytes = 1L << 30;

    /// <summary>The same 30 s as the connection's command timeout (DataExtensions), after which a busy write fails.</summary>
    public const int BusyTimeoutMs = 30_000;

    public static readonly SqliteConnectionSettings Instance = new();

    private static readonly string Sql = $"PRAGMA busy_timeout = {BusyTimeoutMs}; PRAGMA synchronous = FULL";

    private SqliteConnectionSettings()
    {
    }

    /// <summary>
    /// Maps the file for <paramref name="db"/>'s connection (opened here) until the returned scope ends, which unmaps it
    /// (the connection goes back to the pool as it came). For a heavy read: the message search.
    /// </summary>
    public static async Task<IAsyncDisposable> MapAsync(DbContext db, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        var connection = db.Database.GetDbConnection();
        await PragmaAsync(connection, $"PRAGMA mmap_size = {MmapBytes}", ct);
        return new Mapping(connection);
    }

    private static async Task PragmaAsync(DbConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    private sealed class Mapping(DbConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await PragmaAsync(connection, "PRAGMA mmap_size = 0", CancellationToken.None);
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

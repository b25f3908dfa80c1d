using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Coditect.Server.Data;

/// <summary>
/// Per-connection SQLite settings, applied whenever EF opens a connection: reads go through memory-mapped I/O
/// (<c>PRAGMA mmap_size</c>, up to <see cref="MmapBytes"/> of the file) instead of a <c>read()</c> system call per page
/// missing from the connection's small page cache. The message search reads a few thousand scattered rows per query
/// (bench/messages.sh: about a third less CPU per search at 1,000,000 messages, docs/performance.md). The mapping is
/// the operating system's page cache, shared by every connection; writes still go through the write-ahead log.
/// </summary>
public sealed class SqliteConnectionSettings : DbConnectionInterceptor
{
    /// <summary>1 GiB of address space per connection (64-bit); pages beyond it are read as usual.</summary>
    public const long MmapBytes = 1L << 30;

    public static readonly SqliteConnectionSettings Instance = new();

    private static readonly string Sql = $"PRAGMA mmap_size = {MmapBytes}";

    private SqliteConnectionSettings()
    {
    }

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Sql;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

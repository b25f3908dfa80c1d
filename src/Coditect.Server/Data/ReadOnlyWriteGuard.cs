using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Coditect.Server.Data;

/// <summary>
/// Fails a write made inside a unit of work declared read-only (<see cref="Tenancy.TenantScope.ReadsOnly"/>: every GET)
/// on SQLite. Such a unit's transaction begins <c>DEFERRED</c>; a write in it would try to upgrade a read snapshot to the
/// write lock, which SQLite refuses at once (<c>SQLITE_BUSY</c>, no busy wait) whenever another writer committed since
/// the snapshot began: a failure that shows only under load. This guard makes it fail every time, so that tests find
/// it; the fix is <see cref="Tenancy.TenantScope.WritesAfterAllAsync"/> before the write. PostgreSQL is not affected.
/// </summary>
public sealed class ReadOnlyWriteGuard : DbCommandInterceptor
{
    public static readonly ReadOnlyWriteGuard Instance = new();

    private ReadOnlyWriteGuard()
    {
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Check(command, eventData);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Check(command, eventData);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Check(command, eventData);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Check(command, eventData);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        Check(command, eventData);
        return result;
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        Check(command, eventData);
        return ValueTask.FromResult(result);
    }

    private static void Check(DbCommand command, CommandEventData eventData)
    {
        if (command.Transaction is { } transaction
            && eventData.Context is CoditectDbContext { ReadOnlyTransaction: { } readOnly }
            && ReferenceEquals(transaction, readOnly)
            && Writes(command.CommandText))
        {
            throw new InvalidOperationException(
                "A read-only unit of work (a GET) wrote to SQLite. Call TenantScope.WritesAfterAllAsync before writing. " +
                $"Statement: {FirstWords(command.CommandText)}");
        }
    }

    /// <summary>Whether the statement's first keyword writes (EF's saves and bulk updates, and our own SQL, start so).</summary>
    internal static bool Writes(string sql)
    {
        var text = sql.AsSpan().TrimStart();
        while (text.StartsWith("--"))
        {
            var end = text.IndexOf('\n');
            text = end < 0 ? [] : text[(end + 1)..].TrimStart();
        }

        return text.StartsWith("INSERT", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("UPDATE", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("DELETE", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("REPLACE", StringComparison.OrdinalIgnoreCase);
    }

    private static string FirstWords(string sql)
    {
        var text = sql.TrimStart();
        return text.Length <= 60 ? text : text[..60] + "...";
    }
}

using Coditect.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Staff;

/// <summary>
/// Staff views read in a read-only transaction, so that a page which crosses into an organization it does not belong
/// to (or, through the system path, into every organization) cannot change anything there even by mistake.
/// </summary>
internal static class ReadOnlyTransactions
{
    /// <summary>
    /// Runs <paramref name="read"/> with the open transaction made read-only. On PostgreSQL <c>SET TRANSACTION READ
    /// ONLY</c>, issued before the first read (after the tenant settings, which are no read), holds until the
    /// transaction ends: PostgreSQL refuses any write with <c>25006</c>. SQLite has no read-only transaction, so
    /// <c>PRAGMA query_only</c> is set on the connection for <paramref name="read"/> and cleared after it, even when it
    /// throws: the connection goes back to the pool and must not stay read-only for the next request.
    /// </summary>
    public static async Task<T> ReadOnlyAsync<T>(this CoditectDbContext db, Func<Task<T>> read, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is null)
        {
            // Outside a transaction PostgreSQL ignores SET TRANSACTION (with a warning) and the reads run writable.
            throw new InvalidOperationException("A read-only view needs an open transaction: begin one with TenantScope first.");
        }

        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlRawAsync("SET TRANSACTION READ ONLY", ct);
            return await read();
        }

        await db.Database.ExecuteSqlRawAsync("PRAGMA query_only = 1", ct);
        try
        {
            return await read();
        }
        finally
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA query_only = 0", CancellationToken.None);
        }
    }
}

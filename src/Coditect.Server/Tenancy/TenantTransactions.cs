using Coditect.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Coditect.Server.Tenancy;

/// <summary>
/// The database half of tenant isolation. On PostgreSQL every request runs in one transaction whose first statement
/// copies the <see cref="TenantContext"/> into transaction-local settings (<c>set_config(..., true)</c>) that the
/// row-level security policies read; they end with the transaction, so a pooled connection never carries a tenant
/// into the next request. On SQLite (one local file, no RLS) the EF filters and save guard are the isolation.
/// </summary>
public static class TenantTransactions
{
    /// <summary>
    /// Sends the tenant settings inside the current transaction. On PostgreSQL there must be one: outside a transaction
    /// the settings would end with the statement, and row-level security would show the next query no rows.
    /// Callers go through <see cref="TenantScope"/>.
    /// </summary>
    internal static async Task ApplyTenantAsync(this CoditectDbContext db, CancellationToken ct)
    {
        if (!db.Database.IsNpgsql())
        {
            return;
        }

        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("Tenant settings need a transaction: begin one with TenantScope first.");
        }

        var tenant = db.Tenant.TenantId?.ToString() ?? "";
        var user = db.Tenant.UserId?.ToString() ?? "";
        var system = db.Tenant.IsSystem ? "on" : "off";
        await db.Database.ExecuteSqlAsync(
            $"select set_config('app.tenant_id', {tenant}, true), set_config('app.user_id', {user}, true), set_config('app.system', {system}, true)",
            ct);
    }

    /// <summary>
    /// The one cross-tenant path: runs <paramref name="work"/> with row-level security opened to every tenant and the
    /// EF save guard relaxed. For lookups that cannot know the tenant first (an API key or invitation by its hash) and
    /// for background jobs; its callers are few and named in Tenancy/README.md.
    /// </summary>
    public static async Task<T> RunAsSystemAsync<T>(this CoditectDbContext db, Func<Task<T>> work, CancellationToken ct)
    {
        var ownTransaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
        db.Tenant.IsSystem = true;
        try
        {
            await db.ApplyTenantAsync(ct);
            var result = await work();
            if (ownTransaction is not null)
            {
                await ownTransaction.CommitAsync(ct);
            }

            return result;
        }
        finally
        {
            db.Tenant.IsSystem = false;
            if (ownTransaction is not null)
            {
                await ownTransaction.DisposeAsync();
            }
            else
            {
                await db.ApplyTenantAsync(ct);
            }
        }
    }

    /// <summary>
    /// <see cref="RunAsSystemAsync{T}"/> for work that only reads, on a hot path. On SQLite its transaction begins
    /// DEFERRED, as a read-only <see cref="TenantScope"/> unit's: it takes no write lock, so it neither waits for the seat
    /// ledger's writer nor makes it wait (the plain one begins <c>IMMEDIATE</c>, taking the file's write lock to read); a
    /// write in it fails (<see cref="ReadOnlyWriteGuard"/>). On PostgreSQL it is the plain one.
    /// </summary>
    public static async Task<T> ReadAsSystemAsync<T>(this CoditectDbContext db, Func<Task<T>> work, CancellationToken ct)
    {
        if (db.Database.IsNpgsql() || db.Database.CurrentTransaction is not null)
        {
            return await db.RunAsSystemAsync(work, ct);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.ReadUncommitted, ct);
        db.ReadOnlyTransaction = transaction.GetDbTransaction();
        db.Tenant.IsSystem = true;
        try
        {
            var result = await work();
            await transaction.CommitAsync(ct);
            return result;
        }
        finally
        {
            db.Tenant.IsSystem = false;
            db.ReadOnlyTransaction = null;
        }
    }
}

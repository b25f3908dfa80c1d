using Coditect.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Coditect.Server.Tenancy;

/// <summary>
/// The database half of request policy as a service (scoped): the unit of work's one transaction, begun with the
/// caller's settings applied, and the moment the tenant becomes known. The API's endpoint filter
/// (<see cref="UnitOfWork"/>), the console's page filter (<see cref="TenantScopePageFilter"/>), the authorization
/// handler that resolves <c>{org}</c> and background jobs all go through it, so a tenant is never set without its
/// settings reaching PostgreSQL, and nothing reads tenant rows outside a transaction (where row-level security would
/// silently show no rows).
/// </summary>
public sealed class TenantScope(CoditectDbContext db, TenantContext tenant) : IAsyncDisposable
{
    private IDbContextTransaction? _transaction;
    private bool _readsOnly;

    /// <summary>True while this scope's transaction is open (begun and neither committed nor rolled back).</summary>
    public bool IsOpen => _transaction is not null;

    /// <summary>
    /// Declares, before the transaction begins, that this unit of work only reads (a console page's GET). On SQLite its
    /// transaction then begins DEFERRED and reads a snapshot beside the file's one writer, where BEGIN IMMEDIATE (what a
    /// writing unit needs, so that it never fails to upgrade its lock) would queue behind every lease heartbeat.
    /// PostgreSQL is unaffected. A read-only unit that must write after all calls <see cref="WritesAfterAllAsync"/>.
    /// </summary>
    public void ReadsOnly()
    {
        if (_transaction is null)
        {
            _readsOnly = true;
        }
    }

    /// <summary>
    /// A unit declared <see cref="ReadsOnly"/> that must write (a staff view records its audit event before it reads):
    /// commits what it read so far; the next transaction begins as a writing one.
    /// </summary>
    public async Task WritesAfterAllAsync(CancellationToken ct)
    {
        if (!_readsOnly)
        {
            return;
        }

        _readsOnly = false;
        await CommitAsync(ct);
    }

    /// <summary>
    /// Begins the transaction and sends the caller's settings; does nothing when one is open already (the
    /// authorization handler may have begun it before the endpoint filter runs).
    /// </summary>
    public async Task BeginAsync(CancellationToken ct)
    {
        if (_transaction is not null || db.Database.CurrentTransaction is not null)
        {
            return;
        }

                // Microsoft.Data.Sqlite begins READ UNCOMMITTED as DEFERRED; without a shared cache the isolation is unchanged.
        if (_readsOnly && db.Database.IsSqlite())
        {
            _transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.ReadUncommitted, ct);
            db.ReadOnlyTransaction = _transaction.GetDbTransaction();
        }
        else
        {
            _transaction = await db.Database.BeginTransactionAsync(ct);
        }

        await db.ApplyTenantAsync(ct);
    }

    /// <summary>
    /// Makes <paramref name="tenantId"/> the tenant for the rest of the scope and sends the settings at once, in the
    /// open transaction (begun here if none is). A scope acts for one tenant: a second, different one throws.
    /// </summary>
    public async Task EnterAsync(Guid tenantId, CancellationToken ct)
    {
        await BeginAsync(ct);
        tenant.SetTenant(tenantId);
        await db.ApplyTenantAsync(ct);
    }

    /// <summary>The caller became known after the transaction began (sign-in): sends the settings again.</summary>
    public async Task EnterUserAsync(Guid userId, CancellationToken ct)
    {
        await BeginAsync(ct);
        tenant.SetUser(userId);
        await db.ApplyTenantAsync(ct);
    }

    /// <summary>Commits the open transaction, if any; what was raised on the outbox is delivered after this.</summary>
    public async Task CommitAsync(CancellationToken ct)
    {
        if (_transaction is not { } transaction)
        {
            return;
        }

        _transaction = null;
        db.ReadOnlyTransaction = null;
        try
        {
            await transaction.CommitAsync(ct);
        }
        finally
        {
            await transaction.DisposeAsync();
        }
    }

    /// <summary>Rolls back what was not committed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_transaction is { } transaction)
        {
            _transaction = null;
            db.ReadOnlyTransaction = null;
            await transaction.DisposeAsync();
        }
    }
}

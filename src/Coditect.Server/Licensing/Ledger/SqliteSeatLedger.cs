using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Licensing.Ledger;

/// <summary>
/// The seat ledger on the embedded SQLite default. Every acquire, heartbeat, release and sweep runs through this process's
/// one <see cref="SqliteLedgerWriter"/>, in its <c>BEGIN IMMEDIATE</c> transaction, which takes SQLite's single write lock
/// before the first read: counting seats and inserting the session cannot interleave with another writer, on any number
/// of threads or processes sharing the file. The protocol's calls are SQL on the writer's connection
/// (<see cref="SqliteLedgerSql"/>); the sweep runs in EF Core there. Validation only reads, on the request's own context.
/// </summary>
public sealed class SqliteSeatLedger(CoditectDbContext db, SqliteLedgerWriter writer) : ISeatLedger
{
    public Task<AcquireResult> AcquireAsync(AcquireCommand c, CancellationToken ct) =>
        writer.RunSqlAsync((connection, transaction) => SqliteLedgerSql.Acquire(connection, transaction, c), ct);

    public Task<LeaseResult> HeartbeatAsync(string keyHash, Guid sessionId, DateTime now, DateTime newExpiry, CancellationToken ct) =>
        writer.RunSqlAsync((connection, transaction) => SqliteLedgerSql.Heartbeat(connection, transaction, keyHash, sessionId, now, newExpiry), ct);

    public Task<LeaseResult> ReleaseAsync(string keyHash, Guid sessionId, DateTime now, CancellationToken ct) =>
        writer.RunSqlAsync((connection, transaction) => SqliteLedgerSql.Release(connection, transaction, keyHash, sessionId, now), ct);

    public Task<ValidateResult> ValidateAsync(string keyHash, string? hardwareId, DateTime now, CancellationToken ct) =>
        new Ops(db).ValidateAsync(keyHash, hardwareId, now, ct);

    public Task<SweepResult> SweepAsync(DateTime now, CancellationToken ct) =>
        WriteAsync((ops, token) => ops.SweepAsync(now, token), ct);

    internal static LicenseSnapshot Snapshot(License l, bool organizationSuspended) =>
        new(l.Id, l.TenantId, l.SeatsTotal, l.State, l.ExpiresAt, LedgerRules.ParseEntitlements(l.Entitlements), organizationSuspended, l.Type);

    private Task<T> WriteAsync<T>(Func<Ops, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        // The writer has its own connection: a caller holding SQLite's write lock on this context would wait on itself.
        if (db.Database.CurrentTransaction is not null)
        {
            throw new InvalidOperationException("The SQLite seat ledger writes in its own transaction; call it outside the request's.");
        }

        return writer.RunAsync((context, token) => work(new Ops(context), token), ct);
    }

    /// <summary>The ledger's work on one context, inside a transaction the caller owns (the writer's batch).</summary>
    private sealed class Ops(CoditectDbContext db)
    {
        private IQueryable<License> Licenses => db.Set<License>().IgnoreQueryFilters();
        private IQueryable<LicenseSession> Sessions => db.Set<LicenseSession>().IgnoreQueryFilters();

        public async Task<ValidateResult> ValidateAsync(string keyHash, string? hardwareId, DateTime now, CancellationToken ct)
        {
            if (await ReadAsync(keyHash, ct) is not var (license, snapshot))
            {
                return new ValidateResult(null, 0, HardwareState.NotAsked);
            }

            var used = await CountLiveAsync(license.Id, now, ct);
            var hardware = HardwareState.NotAsked;
            if (hardwareId is not null)
            {
                var latest = await Sessions.AsNoTracking().Where(s => s.LicenseId == license.Id && s.HardwareId == hardwareId)
                    .OrderByDescending(s => s.StartedAt).FirstOrDefaultAsync(ct);
                hardware = latest switch
                {
                    null => HardwareState.None,
                    _ when latest.HoldsSeat(now) => HardwareState.Live,
                    { Status: SessionState.Active or SessionState.Expired } => HardwareState.Lapsed,
                    _ => HardwareState.None,
                };
            }

            return new ValidateResult(snapshot, used, hardware);
        }

        public Task<SweepResult> SweepAsync(DateTime now, CancellationToken ct) => db.RunAsSystemAsync(async () =>
        {
            var lapsed = await Sessions.Where(s => s.Status == SessionState.Active && s.ExpiresAt <= now)
                .OrderBy(s => s.ExpiresAt).Take(1000).ToListAsync(ct);
            foreach (var group in lapsed.GroupBy(s => (s.LicenseId, s.TenantId, Hour: LedgerRules.HourOf(s.ExpiresAt))))
            {
                var usage = await UsageAsync(group.Key.LicenseId, group.Key.TenantId, group.Key.Hour, ct);
                usage.Expiries += group.Count();
            }

            foreach (var session in lapsed)
            {
                session.Status = SessionState.Expired;
                session.EndedAt = session.ExpiresAt;
            }

            await db.SaveChangesAsync(ct);
            return new SweepResult(lapsed.Count, [.. lapsed.Select(s => s.LicenseId).Distinct()]);
        }, ct);

        /// <summary>The licence a key names with its organization's suspension, in one query.</summary>
        private async Task<(License License, LicenseSnapshot Snapshot)?> ReadAsync(string keyHash, CancellationToken ct)
        {
            var row = await Licenses.AsNoTracking().Where(l => l.KeyHash == keyHash)
                .Select(l => new
                {
                    License = l,
                    OrganizationSuspended = db.Set<Organization>().Any(o => o.Id == l.TenantId && o.SuspendedAt != null),
                })
                .FirstOrDefaultAsync(ct);
            return row is null ? null : (row.License, Snapshot(row.License, row.OrganizationSuspended));
        }

        private Task<int> CountLiveAsync(Guid licenseId, DateTime now, CancellationToken ct) =>
            Sessions.CountAsync(s => s.LicenseId == licenseId && s.Status == SessionState.Active && s.ExpiresAt > now, ct);

        private async Task<LicenseUsage> UsageAsync(Guid licenseId, Guid tenantId, DateTime hour, CancellationToken ct)
        {
            var usage = db.Set<LicenseUsage>().Local.FirstOrDefault(u => u.LicenseId == licenseId && u.HourStart == hour)
                ?? await db.Set<LicenseUsage>().IgnoreQueryFilters().FirstOrDefaultAsync(u => u.LicenseId == licenseId && u.HourStart == hour, ct);
            if (usage is null)
            {
                usage = new LicenseUsage { LicenseId = licenseId, TenantId = tenantId, HourStart = hour };
                db.Add(usage);
            }

            return usage;
        }
    }
}

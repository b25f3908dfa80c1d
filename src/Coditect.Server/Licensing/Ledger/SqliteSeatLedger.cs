using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Licensing.Ledger;

/// <summary>
/// The seat ledger on the embedded SQLite default. Every acquire, heartbeat, release and sweep runs through this process's
/// one <see cref="SqliteLedgerWriter"/>, in its <c>BEGIN IMMEDIATE</c> transaction, which takes SQLite's single write lock
/// before the first read: counting seats and inserting the session cannot interleave with another writer, on any number
/// of threads or processes sharing the file. Validation only reads, on the request's own context.
/// </summary>
public sealed class SqliteSeatLedger(CoditectDbContext db, SqliteLedgerWriter writer) : ISeatLedger
{
    public Task<AcquireResult> AcquireAsync(AcquireCommand c, CancellationToken ct) =>
        WriteAsync((ops, token) => ops.AcquireAsync(c, token), ct);

    /// <summary>
    /// The hot path: the licence read and the session's renewal in SQL on the writer's connection
    /// (<see cref="SqliteHeartbeat"/>), without this request's EF Core context.
    /// </summary>
    public Task<LeaseResult> HeartbeatAsync(string keyHash, Guid sessionId, DateTime now, DateTime newExpiry, CancellationToken ct) =>
        writer.RunSqlAsync((connection, transaction) => SqliteHeartbeat.Run(connection, transaction, keyHash, sessionId, now, newExpiry), ct);

    public Task<LeaseResult> ReleaseAsync(string keyHash, Guid sessionId, DateTime now, CancellationToken ct) =>
        WriteAsync((ops, token) => ops.ReleaseAsync(keyHash, sessionId, now, token), ct);

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

        public async Task<AcquireResult> AcquireAsync(AcquireCommand c, CancellationToken ct)
        {
            if (await FindAsync(c.KeyHash, ct) is not var (license, snapshot))
            {
                return new AcquireResult(AcquireOutcome.LicenseNotFound, null, 0, null, null);
            }

            var used = await CountLiveAsync(license.Id, c.Now, ct);
            if (LedgerRules.Refusal(snapshot, c.Now) is { } refusal)
            {
                return new AcquireResult(refusal, snapshot, used, null, null);
            }

            if (LedgerRules.BorrowRefusal(c, license.BorrowMaxHours) is { } borrowRefusal)
            {
                return new AcquireResult(borrowRefusal, snapshot, used, null, null, null, license.BorrowMaxHours);
            }

            // A borrow holds its seat until borrowed_until; a plain acquire (or renewal) is an ordinary lease, which also
            // ends a borrow this machine held (it is back online).
            var expiry = c.IsBorrow ? LedgerRules.BorrowExpiry(c.Expiry, license.ExpiresAt) : c.Expiry;
            DateTime? borrowedUntil = c.IsBorrow ? expiry : null;
            var usage = await UsageAsync(license, c.Now, ct);
            var mine = await Sessions.FirstOrDefaultAsync(s => s.LicenseId == license.Id && s.HardwareId == c.HardwareId && s.Status == SessionState.Active, ct);
            if (mine is not null && mine.HoldsSeat(c.Now))
            {
                mine.ExpiresAt = expiry;
                mine.BorrowedUntil = borrowedUntil;
                mine.LastHeartbeatAt = c.Now;
                mine.HeartbeatCount++;
                await db.SaveChangesAsync(ct);
                return new AcquireResult(AcquireOutcome.Renewed, snapshot, used, mine.Id, mine.ExpiresAt, borrowedUntil);
            }

            if (mine is not null)
            {
                // This machine's lapsed lease ends here; the new lease is a new session, never a revival.
                mine.Status = SessionState.Expired;
                mine.EndedAt = mine.ExpiresAt;
                usage.Expiries++;
            }

            if (used >= license.SeatsTotal)
            {
                usage.Denials++;
                Record(usage, used);
                await db.SaveChangesAsync(ct);
                return new AcquireResult(AcquireOutcome.NoSeats, snapshot, used, null, null);
            }

            // c.Now was read before the write lock was ours; a release committed meanwhile may carry a later time. The seat
            // starts no earlier than the end of any seat it may have replaced (README, invariant 11).
            var latestEnd = await Sessions.Where(s => s.LicenseId == license.Id && s.EndedAt > c.Now).MaxAsync(s => s.EndedAt, ct);
            db.Add(new LicenseSession
            {
                Id = c.NewSessionId,
                TenantId = license.TenantId,
                LicenseId = license.Id,
                HardwareId = c.HardwareId,
                UserEmail = c.UserEmail,
                ClientHostname = c.Hostname,
                ClientAppVersion = c.AppVersion,
                ClientOs = c.Os,
                Status = SessionState.Active,
                StartedAt = latestEnd > c.Now ? latestEnd.Value : c.Now,
                LastHeartbeatAt = c.Now,
                ExpiresAt = expiry,
                BorrowedUntil = borrowedUntil,
            });
            usage.Acquisitions++;
            Record(usage, used + 1);
            await db.SaveChangesAsync(ct);
            return new AcquireResult(AcquireOutcome.Acquired, snapshot, used + 1, c.NewSessionId, expiry, borrowedUntil);
        }

        public async Task<LeaseResult> ReleaseAsync(string keyHash, Guid sessionId, DateTime now, CancellationToken ct)
        {
            // No refusal here: a suspended or expired licence, or a suspended organization, still frees the seat.
            if (await FindAsync(keyHash, ct) is not var (license, snapshot))
            {
                return new LeaseResult(LeaseOutcome.LicenseNotFound, null, null, null);
            }

            var session = await Sessions.FirstOrDefaultAsync(s => s.Id == sessionId && s.LicenseId == license.Id, ct);
            if (session is null)
            {
                return new LeaseResult(LeaseOutcome.SessionNotFound, snapshot, null, null);
            }

            if (session.Status == SessionState.Active)
            {
                session.Status = SessionState.Released;
                session.EndedAt = now;
                var usage = await UsageAsync(license, now, ct);
                usage.Releases++;
                await db.SaveChangesAsync(ct);
                usage.LastSeatsUsed = await CountLiveAsync(license.Id, now, ct);
                await db.SaveChangesAsync(ct);
            }

            return new LeaseResult(LeaseOutcome.Ok, snapshot, session.HardwareId, null);
        }

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

        /// <summary>The licence a key names, and the request's tenant set from it.</summary>
        private async Task<(License License, LicenseSnapshot Snapshot)?> FindAsync(string keyHash, CancellationToken ct)
        {
            var found = await ReadAsync(keyHash, ct);
            if (found is var (license, _) && db.Tenant.TenantId is null)
            {
                db.Tenant.SetTenant(license.TenantId);
            }

            return found;
        }

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

        private Task<LicenseUsage> UsageAsync(License license, DateTime now, CancellationToken ct) =>
            UsageAsync(license.Id, license.TenantId, LedgerRules.HourOf(now), ct);

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

        private static void Record(LicenseUsage usage, int seatsUsed)
        {
            usage.PeakSeatsUsed = Math.Max(usage.PeakSeatsUsed, seatsUsed);
            usage.LastSeatsUsed = seatsUsed;
        }
    }
}

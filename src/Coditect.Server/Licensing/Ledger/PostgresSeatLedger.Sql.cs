namespace Coditect.Server.Licensing.Ledger;

/// <summary>The SQL of <see cref="PostgresSeatLedger"/>: each array is one batch, one round trip, one transaction.</summary>
public sealed partial class PostgresSeatLedger
{
    private const string ProveKey = "SELECT set_config('app.license_key_hash', $1, true)";

    // The acquire and release statements are prepared (Max Auto Prepare), but PostgreSQL's plan cache still chose a fresh
    // custom plan for half the executions of two of them (planning 0.7-0.8 ms against 0.02-0.3 ms of execution): on a hot
    // licence that planning happened under the licence lock, and a group of 16 calls spent about as long planning as
    // executing. For the rest of this transaction only (set_config local), every statement uses its one generic plan.
    private const string GenericPlans = "SELECT set_config('plan_cache_mode', 'force_generic_plan', true)";
    private const string SetTenant =
        "SELECT set_config('app.tenant_id', coalesce((SELECT tenant_id::text FROM licenses WHERE key_hash = $1), ''), true)";
    private static string Live(string alias) => $"{alias}.status = 'active' AND {alias}.expires_at > $2";
    // The organization's suspension travels with the licence (one primary-key probe in the same statement): the
    // protocol refuses a suspended organization's licences without a round trip of its own.
    private const string OrganizationSuspended =
        "EXISTS (SELECT 1 FROM organizations o WHERE o.id = l.tenant_id AND o.suspended_at IS NOT NULL)";
    private const string LicenseColumns = $"l.id, l.tenant_id, l.seats_total, l.state, l.expires_at, l.entitlements, {OrganizationSuspended}, l.type";
    // A node-locked licence is never leased: its machines activate instead (Licensing/Machines).
    private const string LicenseUsable =
        $"l.state = 'active' AND (l.expires_at IS NULL OR l.expires_at > $2) AND l.type = 'floating' AND NOT {OrganizationSuspended}";
    private const string LockLicense = "SELECT id FROM licenses WHERE key_hash = $1 FOR NO KEY UPDATE";

    // For the statements that update many sessions named in the array $1 (the write-behind's flush, the adoption of
    // promised expiries): `locked`, the rows of $1 that match, locked in id order (the lock is taken above the sort).
    // Each statement joins it, so a row is updated only once locked. Two nodes updating the same sessions, each in the
    // order of its own array, deadlocked otherwise (40P01 in bench/run.sh's two-node Redis rows: one of them lost a
    // second to the deadlock check and went again).
    private static string LockedInIdOrder(string condition) =>
        $"locked AS MATERIALIZED (SELECT s.id FROM license_sessions s WHERE s.id = ANY($1::uuid[]) AND {condition} ORDER BY s.id FOR NO KEY UPDATE)";

    // The key's licence id as an InitPlan, for the statements that find a session by hardware id, so the probe of
    // (license_id, hardware_id) can use both columns. Joined to the key's licence row instead, a generic plan made
    // before the table's first ANALYZE (a fresh database filled in a minute) scanned the whole unique index by
    // hardware_id alone: 0.6 ms a statement instead of 0.02. Without statistics the planner may still pick another
    // index; once autovacuum has analyzed the table (within a minute or two) every statement here probes one row.
    private const string KeyLicenseId = "(SELECT k.id FROM licenses k WHERE k.key_hash = $1)";

    // The acquiring machine's unended session ($4: its hardware id) by the unique index (license_id, hardware_id), the one
    // index the subquery can use, so the renewal reaches its row by primary key. With the conditions on the session
    // itself, a generic plan walked the licence's live sessions by (license_id, expires_at) instead: 170 buffers, 1 ms.
    private const string MachineSessionId =
        $"(SELECT m.id FROM license_sessions m WHERE m.license_id = {KeyLicenseId} AND m.hardware_id = $4 AND m.status = 'active')";

    // The same, but null unless the licence is full: the reclaim of a full licence's lapsed leases then probes no index
    // at all on a licence with room (the usual case). Filtered by the join instead, the generic plan walked every active
    // session of the licence first: 870 buffers a call on a hot licence.
    private const string FullKeyLicenseId = "(SELECT k.id FROM licenses k WHERE k.key_hash = $1 AND k.seats_held >= k.seats_total)";

    // Borrowing ($11: the hours asked, 0 for a plain acquire). A borrow is allowed when the licence allows that many
    // hours; its lease ends at $3 (now plus the hours) or the licence's expiry, whichever comes first (LEAST ignores a
    // null expiry), and that end is the session's borrowed_until. A plain acquire clears borrowed_until.
    private const string BorrowAllowed = "($11 = 0 OR (l.borrow_max_hours > 0 AND l.borrow_max_hours >= $11))";
    private const string LeaseExpiry = "CASE WHEN $11 > 0 THEN least($3, l.expires_at) ELSE $3 END";
    private const string BorrowedUntil = $"CASE WHEN $11 > 0 THEN {LeaseExpiry} END";

    /// <summary>
    /// Ends the licence's lapsed leases that match <paramref name="which"/>, counts them as expiries in the hour's usage
    /// ($10) and gives their seats back (seats_held). Runs under the licence lock. <paramref name="licence"/> is the
    /// licence id as an InitPlan (<c>KeyLicenseId</c> or <c>FullKeyLicenseId</c>).
    /// </summary>
    private static string EndLapsed(string licence, string which) => $"""
        WITH lapsed AS (
            UPDATE license_sessions s SET status = 'expired', ended_at = s.expires_at, updated_at = $2
            FROM licenses l
            WHERE l.key_hash = $1 AND s.license_id = l.id AND s.license_id = {licence} AND s.status = 'active' AND s.expires_at <= $2
              AND {which}
            RETURNING s.license_id, s.tenant_id),
        counted AS (
            INSERT INTO license_usage (license_id, hour_start, tenant_id, acquisitions, releases, expiries, kicks, denials, peak_seats_used, last_seats_used)
            SELECT license_id, $10, tenant_id, 0, 0, count(*), 0, 0, 0, 0 FROM lapsed GROUP BY license_id, tenant_id
            ON CONFLICT (license_id, hour_start) DO UPDATE SET expiries = license_usage.expiries + excluded.expiries)
        UPDATE licenses l SET seats_held = l.seats_held - e.n
        FROM (SELECT license_id, count(*)::int AS n FROM lapsed GROUP BY license_id) e
        WHERE l.id = e.license_id
        """;

    // $1 key hash, $2 now, $3 expiry, $4 hardware id, $5 new session id, $6 email, $7 host, $8 app version, $9 os, $10 hour,
    // $11 borrow hours (0: a plain acquire)
    // The licence row carries seats_held (its unended sessions), so no statement counts sessions: an acquire costs the
    // same on a licence with 10 seats or 10,000 (docs/adr/0009-seat-counter.md).
    private static readonly string[] AcquireSql =
    [
        ProveKey,
        SetTenant,
        // NO KEY UPDATE, not UPDATE: acquires still queue on each other, but the foreign-key check of a release or sweep
        // inserting the hour's first usage row (FOR KEY SHARE on this licence) does not queue behind them, which
        // deadlocked with the acquire waiting for that same usage row at the start of every hour. Every change of
        // seats_held happens under this lock, and every writer takes it before touching a session (no deadlock).
        LockLicense,
        // This machine's lapsed lease ends now: its next lease is a new session, never a revival.
        EndLapsed(KeyLicenseId, "s.hardware_id = $4"),
        // The same machine while its lease lives: renew it (a restarted client never burns a second seat).
        $"""
        UPDATE license_sessions s SET expires_at = {LeaseExpiry}, borrowed_until = {BorrowedUntil}, last_heartbeat_at = $2,
            heartbeat_count = s.heartbeat_count + 1, updated_at = $2
        FROM licenses l
        WHERE l.key_hash = $1 AND s.license_id = l.id AND s.id = {MachineSessionId} AND s.status = 'active' AND s.expires_at > $2
          AND {LicenseUsable} AND {BorrowAllowed}
        """,
        // A full licence takes back the seats of its other lapsed leases before it says no. A heartbeat racing this for
        // a lease it ends either committed first (the lease is live and keeps its seat) or finds it ended (410).
        EndLapsed(FullKeyLicenseId, "l.seats_held >= l.seats_total"),
        // $2 was read before this batch waited for the pool and the lock; a release that committed meanwhile may carry a
        // later time. The seat starts no earlier than the end of any seat it may have replaced, so the recorded history
        // never shows more holders at one instant than the count under the lock allowed.
        $"""
        WITH inserted AS (
            INSERT INTO license_sessions (id, tenant_id, license_id, hardware_id, user_email, client_hostname, client_app_version,
                client_os, status, started_at, last_heartbeat_at, heartbeat_count, expires_at, borrowed_until, created_at, updated_at)
            SELECT $5, l.tenant_id, l.id, $4, $6, $7, $8, $9, 'active',
                   greatest($2, (SELECT max(e.ended_at) FROM license_sessions e WHERE e.license_id = l.id AND e.ended_at > $2)),
                   $2, 0, {LeaseExpiry}, {BorrowedUntil}, $2, $2
            FROM licenses l
            WHERE l.key_hash = $1 AND {LicenseUsable} AND {BorrowAllowed} AND l.seats_held < l.seats_total
              AND NOT EXISTS (SELECT 1 FROM license_sessions s WHERE s.license_id = {KeyLicenseId} AND s.hardware_id = $4 AND s.status = 'active')
            RETURNING license_id)
        UPDATE licenses l SET seats_held = l.seats_held + 1 FROM inserted i WHERE l.id = i.license_id
        """,
        // Usage: a new session is an acquisition, no session a denial; a renewal is neither.
        $"""
        INSERT INTO license_usage (license_id, hour_start, tenant_id, acquisitions, releases, expiries, kicks, denials, peak_seats_used, last_seats_used)
        SELECT l.id, $10, l.tenant_id, CASE WHEN s.id IS NULL THEN 0 ELSE 1 END, 0, 0, 0, CASE WHEN s.id IS NULL THEN 1 ELSE 0 END,
               l.seats_held, l.seats_held
        FROM licenses l
        LEFT JOIN license_sessions s ON s.license_id = {KeyLicenseId} AND s.hardware_id = $4 AND s.status = 'active'
        WHERE l.key_hash = $1 AND {LicenseUsable} AND {BorrowAllowed} AND (s.id IS NULL OR s.id = $5)
        ON CONFLICT (license_id, hour_start) DO UPDATE SET
            acquisitions = license_usage.acquisitions + excluded.acquisitions,
            denials = license_usage.denials + excluded.denials,
            peak_seats_used = greatest(license_usage.peak_seats_used, excluded.peak_seats_used),
            last_seats_used = excluded.last_seats_used
        """,
        $"""
        SELECT {LicenseColumns}, l.seats_held, s.id, s.expires_at, s.borrowed_until, l.borrow_max_hours
        FROM licenses l
        LEFT JOIN license_sessions s ON s.license_id = {KeyLicenseId} AND s.hardware_id = $4 AND s.status = 'active'
        WHERE l.key_hash = $1
        """,
    ];

    // $1 key hash, $2 now, $3 hardware id, $4 hour. The "no" to an acquire on a full licence, without the licence lock
    // (LicenseGate's whenFull): one statement, so one snapshot in which every held seat is live and none is this
    // machine's. Then the acquire under the lock would say no as well: it only frees lapsed seats and this machine's.
    // Returns the licence when it counted the denial, no row when the acquire has to take its turn.
    private static readonly string[] RefuseWhenFullSql =
    [
        ProveKey,
        SetTenant,
        $"""
        WITH refused AS (
            SELECT {LicenseColumns}, l.seats_held
            FROM licenses l
            WHERE l.key_hash = $1 AND {LicenseUsable} AND l.seats_held >= l.seats_total
              AND NOT EXISTS (SELECT 1 FROM license_sessions s
                              WHERE s.license_id = l.id AND s.status = 'active' AND (s.hardware_id = $3 OR s.expires_at <= $2))),
        counted AS (
            INSERT INTO license_usage (license_id, hour_start, tenant_id, acquisitions, releases, expiries, kicks, denials, peak_seats_used, last_seats_used)
            SELECT id, $4, tenant_id, 0, 0, 0, 0, 1, seats_held, seats_held FROM refused
            ON CONFLICT (license_id, hour_start) DO UPDATE SET
                denials = license_usage.denials + 1,
                peak_seats_used = greatest(license_usage.peak_seats_used, excluded.peak_seats_used),
                last_seats_used = excluded.last_seats_used)
        SELECT * FROM refused
        """,
    ];

    // $1 key hash, $2 now, $3 new expiry, $4 session id. A heartbeat never shortens a lease: a borrowed seat keeps its
    // borrowed_until.
    private static readonly string[] HeartbeatSql =
    [
        ProveKey,
        SetTenant,
        $"""
        UPDATE license_sessions s SET expires_at = greatest(s.expires_at, $3), last_heartbeat_at = $2, heartbeat_count = s.heartbeat_count + 1, updated_at = $2
        FROM licenses l
        WHERE s.id = $4 AND l.id = s.license_id AND l.key_hash = $1 AND {Live("s")} AND {LicenseUsable}
        """,
        $"""
        SELECT {LicenseColumns}, s.id, s.status, s.expires_at, s.hardware_id, s.borrowed_until
        FROM licenses l LEFT JOIN license_sessions s ON s.id = $4 AND s.license_id = l.id
        WHERE l.key_hash = $1
        """,
    ];

    // $1 key hash, $2 now, $3 session id, $4 hour. Under the licence lock, as every change of seats_held.
    private static readonly string[] ReleaseSql =
    [
        ProveKey,
        SetTenant,
        LockLicense,
        """
        WITH released AS (
            UPDATE license_sessions s SET status = 'released', ended_at = $2, updated_at = $2
            FROM licenses l
            WHERE s.id = $3 AND l.id = s.license_id AND l.key_hash = $1 AND s.status = 'active'
            RETURNING s.license_id, s.tenant_id),
        held AS (
            UPDATE licenses l SET seats_held = l.seats_held - 1 FROM released r WHERE l.id = r.license_id
            RETURNING l.id, l.seats_held)
        INSERT INTO license_usage (license_id, hour_start, tenant_id, acquisitions, releases, expiries, kicks, denials, peak_seats_used, last_seats_used)
        SELECT r.license_id, $4, r.tenant_id, 0, 1, 0, 0, 0, 0, h.seats_held
        FROM released r JOIN held h ON h.id = r.license_id
        ON CONFLICT (license_id, hour_start) DO UPDATE SET
            releases = license_usage.releases + 1, last_seats_used = excluded.last_seats_used
        """,
        $"""
        SELECT {LicenseColumns}, s.id, s.status
        FROM licenses l LEFT JOIN license_sessions s ON s.id = $3 AND s.license_id = l.id
        WHERE l.key_hash = $1
        """,
    ];

    // $1 key hash, $2 now, $3 hardware id (may be null)
    private static readonly string[] ValidateSql =
    [
        ProveKey,
        SetTenant,
        $"""
        SELECT {LicenseColumns},
               (SELECT count(*)::int FROM license_sessions x WHERE x.license_id = l.id AND {Live("x")}),
               h.status, h.expires_at
        FROM licenses l
        LEFT JOIN LATERAL (SELECT s.status, s.expires_at FROM license_sessions s
                           WHERE s.license_id = l.id AND s.hardware_id = $3 ORDER BY s.started_at DESC LIMIT 1) h ON true
        WHERE l.key_hash = $1
        """,
    ];

    // $1 now, $2 batch size. Locks the licences of the next lapsed leases first (in id order, so sweeping nodes never
    // deadlock; an acquire or release holds one licence), then ends every lapsed lease of those licences and gives their
    // seats back. status = 'active' makes each end happen once when several nodes sweep.
    private static readonly string[] SweepSql =
    [
        "SELECT set_config('app.system', 'on', true)",
        """
        SELECT set_config('app.sweep_licenses', coalesce(string_agg(locked.id::text, ','), ''), true)
        FROM (SELECT l.id FROM licenses l
              WHERE l.id IN (SELECT s.license_id FROM license_sessions s WHERE s.status = 'active' AND s.expires_at <= $1
                             ORDER BY s.expires_at LIMIT $2)
              ORDER BY l.id FOR NO KEY UPDATE) locked
        """,
        """
        WITH expired AS (
            UPDATE license_sessions s SET status = 'expired', ended_at = s.expires_at, updated_at = $1
            WHERE s.license_id = ANY (string_to_array(nullif(current_setting('app.sweep_licenses'), ''), ',')::uuid[])
              AND s.status = 'active' AND s.expires_at <= $1
            RETURNING s.license_id, s.tenant_id, s.expires_at),
        counted AS (
            INSERT INTO license_usage (license_id, hour_start, tenant_id, acquisitions, releases, expiries, kicks, denials, peak_seats_used, last_seats_used)
            SELECT license_id, date_trunc('hour', expires_at, 'UTC'), tenant_id, 0, 0, count(*), 0, 0, 0, 0
            FROM expired GROUP BY license_id, tenant_id, date_trunc('hour', expires_at, 'UTC')
            ON CONFLICT (license_id, hour_start) DO UPDATE SET expiries = license_usage.expiries + excluded.expiries
            RETURNING 1),
        held AS (
            UPDATE licenses l SET seats_held = l.seats_held - e.n
            FROM (SELECT license_id, count(*)::int AS n FROM expired GROUP BY license_id) e
            WHERE l.id = e.license_id
            RETURNING 1)
        SELECT count(*)::int, coalesce(array_agg(DISTINCT license_id), '{}') FROM expired
        """,
    ];

    private const int SweepBatch = 1000;

    // $1 key hash
    private static readonly string[] FindLicenseSql =
    [
        ProveKey,
        $"SELECT {LicenseColumns} FROM licenses l WHERE l.key_hash = $1",
    ];

    // $1 licence id, $2 now. Live leases of one licence, to reload the Redis lease cache.
    private static readonly string[] LiveSessionsSql =
    [
        "SELECT set_config('app.system', 'on', true)",
        $"SELECT s.id, s.expires_at, s.hardware_id FROM license_sessions s WHERE s.license_id = $1 AND {Live("s")}",
    ];

    // $1 since. Sessions that stopped holding a seat recently (released, kicked, expired), for reconciliation.
    private static readonly string[] RecentlyEndedSql =
    [
        "SELECT set_config('app.system', 'on', true)",
        "SELECT s.license_id, s.id FROM license_sessions s WHERE s.status <> 'active' AND s.updated_at >= $1",
    ];

    // $1 horizon, $2 limit. Leases that still hold their seat and lapse before the horizon (or have lapsed, unswept),
    // soonest first: the ones a node that died may have heartbeated in Redis without writing here.
    private static readonly string[] LapsingSql =
    [
        "SELECT set_config('app.system', 'on', true)",
        "SELECT s.id, s.license_id, s.expires_at FROM license_sessions s WHERE s.status = 'active' AND s.expires_at <= $1 ORDER BY s.expires_at LIMIT $2",
    ];

    // $1 ids, $2 expiries Redis promised, $3 now. A lease that still holds its seat (status active, lapsed or not)
    // takes the expiry a client was promised: its seat was never given to anyone else, because only an acquire or a
    // sweep ends a lapsed lease, and each of those re-reads the row after this update (or this update finds it ended).
    private static readonly string[] AdoptSql =
    [
        "SELECT set_config('app.system', 'on', true)",
        $"""
        WITH {LockedInIdOrder("s.status = 'active'")}
        UPDATE license_sessions s SET expires_at = v.expires_at, updated_at = $3
        FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, expires_at) JOIN locked l ON l.id = v.id
        WHERE s.id = v.id AND s.status = 'active' AND s.expires_at < v.expires_at
        RETURNING s.id, s.license_id, s.expires_at
        """,
    ];

    // $1 ids, $2 expiries, $3 first heartbeat times, $4 last heartbeat times, $5 counts, $6 now. A lease PostgreSQL
    // sees as lapsed (now, or before the first of the heartbeats) is never extended: its seat may already be another's.
    private static readonly string[] FlushHeartbeatsSql =
    [
        "SELECT set_config('app.system', 'on', true)",
        $"""
        WITH {LockedInIdOrder("s.status = 'active' AND s.expires_at > $6")}
        UPDATE license_sessions s
        SET expires_at = v.expires_at, last_heartbeat_at = v.at, heartbeat_count = s.heartbeat_count + v.n, updated_at = v.at
        FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::timestamptz[], $5::int[]) AS v(id, expires_at, first_at, at, n)
            JOIN locked l ON l.id = v.id
        WHERE s.id = v.id AND s.status = 'active' AND s.expires_at > v.first_at AND s.expires_at > $6
          AND s.expires_at < v.expires_at
        RETURNING s.id, s.license_id, s.expires_at
        """,
    ];
}

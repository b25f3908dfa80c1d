using System.Data.Common;
using System.Globalization;
using Coditect.Server.Data;

namespace Coditect.Server.Licensing.Ledger;

/// <summary>
/// Acquire, heartbeat and release on SQLite in SQL, run by <see cref="SqliteLedgerWriter"/> inside its transaction (which
/// holds the file's write lock from its first statement): the same rules as the EF Core code they replace, statement for
/// statement. No EF Core context is made for a protocol call: one per request cost more than the statements (its
/// service scope, and SQLite function registrations on every open: about 130 KB allocated per heartbeat, and the server
/// stopped at 1,000 heartbeats/s; docs/performance.md). Values are written as EF Core writes them on SQLite
/// (<see cref="SqliteValues"/>), states as EF's value conversions store them (LicensingModel), so EF reads them back.
/// </summary>
internal static class SqliteLedgerSql
{
    private const string ReadLicense = """
        SELECT l.id, l.tenant_id, l.seats_total, l.state, l.expires_at, l.entitlements, l.type, l.borrow_max_hours,
               EXISTS (SELECT 1 FROM organizations o WHERE o.id = l.tenant_id AND o.suspended_at IS NOT NULL)
        FROM licenses l
        WHERE l.key_hash = @key
        """;

    private const string CountLiveSql = "SELECT count(*) FROM license_sessions WHERE license_id = @license AND status = 'active' AND expires_at > @now";

    private const string RenewSql = """
        UPDATE license_sessions
        SET expires_at = max(expires_at, @expires), last_heartbeat_at = @now, heartbeat_count = heartbeat_count + 1, updated_at = @now
        WHERE id = @id AND license_id = @license AND status = 'active' AND expires_at > @now
        RETURNING hardware_id, expires_at, borrowed_until
        """;

    private const string FindSession = "SELECT hardware_id, expires_at, status FROM license_sessions WHERE id = @id AND license_id = @license";

    private const string FindMachine = """
        SELECT id, expires_at FROM license_sessions WHERE license_id = @license AND hardware_id = @hardware AND status = 'active' LIMIT 1
        """;

    private const string RenewMachine = """
        UPDATE license_sessions
        SET expires_at = @expires, borrowed_until = @borrowed, last_heartbeat_at = @now, heartbeat_count = heartbeat_count + 1, updated_at = @now
        WHERE id = @id
        """;

    private const string Lapse = "UPDATE license_sessions SET status = 'expired', ended_at = expires_at, updated_at = @now WHERE id = @id";

    private const string LatestEnd = "SELECT max(ended_at) FROM license_sessions WHERE license_id = @license AND ended_at > @now";

    private const string Insert = """
        INSERT INTO license_sessions (id, tenant_id, license_id, hardware_id, user_email, client_hostname, client_app_version, client_os,
                                      status, started_at, last_heartbeat_at, expires_at, borrowed_until, ended_at, heartbeat_count,
                                      created_at, updated_at)
        VALUES (@id, @tenant, @license, @hardware, @email, @hostname, @version, @os,
                'active', @started, @now, @expires, @borrowed, NULL, 0, @now, @now)
        """;

    private const string ReleaseSql = "UPDATE license_sessions SET status = 'released', ended_at = @now, updated_at = @now WHERE id = @id";

    /// <summary>The hour's usage row, made on first use; counters added, the seats-in-use figures set when given.</summary>
    private const string UsageSql = """
        INSERT INTO license_usage (license_id, hour_start, tenant_id, acquisitions, releases, expiries, kicks, denials,
                                   peak_seats_used, last_seats_used, queue_denials, queue_grants, queue_wait_seconds)
        VALUES (@license, @hour, @tenant, @acquisitions, @releases, @expiries, 0, @denials, coalesce(@peak, 0), coalesce(@last, 0), 0, 0, 0)
        ON CONFLICT (license_id, hour_start) DO UPDATE SET
            acquisitions = acquisitions + excluded.acquisitions, releases = releases + excluded.releases,
            expiries = expiries + excluded.expiries, denials = denials + excluded.denials,
            peak_seats_used = max(peak_seats_used, excluded.peak_seats_used),
            last_seats_used = coalesce(@last, last_seats_used)
        """;

    public static AcquireResult Acquire(DbConnection connection, DbTransaction transaction, AcquireCommand c)
    {
        var sql = new Statements(connection, transaction);
        if (sql.License(c.KeyHash) is not var (snapshot, borrowMaxHours))
        {
            return new AcquireResult(AcquireOutcome.LicenseNotFound, null, 0, null, null);
        }

        var used = sql.CountLive(snapshot.Id, c.Now);
        if (LedgerRules.Refusal(snapshot, c.Now) is { } refusal)
        {
            return new AcquireResult(refusal, snapshot, used, null, null);
        }

        if (LedgerRules.BorrowRefusal(c, borrowMaxHours) is { } borrowRefusal)
        {
            return new AcquireResult(borrowRefusal, snapshot, used, null, null, null, borrowMaxHours);
        }

        // A borrow holds its seat until borrowed_until; a plain acquire (or renewal) is an ordinary lease, which also ends
        // a borrow this machine held (it is back online).
        var expiry = c.IsBorrow ? LedgerRules.BorrowExpiry(c.Expiry, snapshot.ExpiresAt) : c.Expiry;
        DateTime? borrowedUntil = c.IsBorrow ? expiry : null;
        var expiries = 0;
        if (sql.Machine(snapshot.Id, c.HardwareId) is var (mine, mineExpires))
        {
            if (mineExpires > c.Now)
            {
                sql.Execute(RenewMachine, ("@id", Id(mine)), ("@expires", Text(expiry)), ("@borrowed", Text(borrowedUntil)), ("@now", Text(c.Now)));
                return new AcquireResult(AcquireOutcome.Renewed, snapshot, used, mine, expiry, borrowedUntil);
            }

            // This machine's lapsed lease ends here; the new lease is a new session, never a revival.
            sql.Execute(Lapse, ("@id", Id(mine)), ("@now", Text(c.Now)));
            expiries = 1;
        }

        if (used >= snapshot.SeatsTotal)
        {
            sql.Usage(snapshot, c.Now, denials: 1, expiries: expiries, seatsUsed: used);
            return new AcquireResult(AcquireOutcome.NoSeats, snapshot, used, null, null);
        }

        // c.Now was read before the write lock was ours; a release committed meanwhile may carry a later time. The seat
        // starts no earlier than the end of any seat it may have replaced (README, invariant 11).
        var latestEnd = sql.Scalar(LatestEnd, ("@license", Id(snapshot.Id)), ("@now", Text(c.Now))) is string end ? Time(end) : (DateTime?)null;
        sql.Execute(Insert, ("@id", Id(c.NewSessionId)), ("@tenant", Id(snapshot.TenantId)), ("@license", Id(snapshot.Id)),
            ("@hardware", c.HardwareId), ("@email", c.UserEmail), ("@hostname", c.Hostname), ("@version", c.AppVersion), ("@os", c.Os),
            ("@started", Text(latestEnd > c.Now ? latestEnd.Value : c.Now)), ("@now", Text(c.Now)), ("@expires", Text(expiry)),
            ("@borrowed", Text(borrowedUntil)));
        sql.Usage(snapshot, c.Now, acquisitions: 1, expiries: expiries, seatsUsed: used + 1);
        return new AcquireResult(AcquireOutcome.Acquired, snapshot, used + 1, c.NewSessionId, expiry, borrowedUntil);
    }

    /// <summary>Renews a live session (never shortening it: a borrowed seat keeps its <c>borrowed_until</c>), or says why not.</summary>
    public static LeaseResult Heartbeat(DbConnection connection, DbTransaction transaction, string keyHash, Guid sessionId, DateTime now, DateTime expires)
    {
        var sql = new Statements(connection, transaction);
        var snapshot = sql.License(keyHash)?.Snapshot;
        if (LedgerRules.LeaseRefusal(snapshot, now) is { } refusal)
        {
            return new LeaseResult(refusal, snapshot, null, null);
        }

        using (var renew = sql.Command(RenewSql, ("@id", Id(sessionId)), ("@license", Id(snapshot!.Id)), ("@expires", Text(expires)), ("@now", Text(now))))
        using (var reader = renew.ExecuteReader())
        {
            if (reader.Read())
            {
                return new LeaseResult(LeaseOutcome.Ok, snapshot, reader.GetString(0), Time(reader.GetString(1)),
                    reader.IsDBNull(2) ? null : Time(reader.GetString(2)));
            }
        }

        return sql.Session(snapshot.Id, sessionId) is var (hardware, expiresAt, status)
            ? new LeaseResult(LedgerRules.SessionRefusal(status), snapshot, hardware, expiresAt)
            : new LeaseResult(LeaseOutcome.SessionNotFound, snapshot, null, null);
    }

    /// <summary>Frees the seat; no refusal here: a suspended or expired licence, or a suspended organization, still frees it.</summary>
    public static LeaseResult Release(DbConnection connection, DbTransaction transaction, string keyHash, Guid sessionId, DateTime now)
    {
        var sql = new Statements(connection, transaction);
        if (sql.License(keyHash) is not var (snapshot, _))
        {
            return new LeaseResult(LeaseOutcome.LicenseNotFound, null, null, null);
        }

        if (sql.Session(snapshot.Id, sessionId) is not var (hardware, _, status))
        {
            return new LeaseResult(LeaseOutcome.SessionNotFound, snapshot, null, null);
        }

        if (status == SessionState.Active)
        {
            sql.Execute(ReleaseSql, ("@id", Id(sessionId)), ("@now", Text(now)));
            sql.Usage(snapshot, now, releases: 1, seatsUsed: sql.CountLive(snapshot.Id, now), peak: false);
        }

        return new LeaseResult(LeaseOutcome.Ok, snapshot, hardware, null);
    }

    private static string Id(Guid id) => SqliteValues.Id(id);

    private static object Text(DateTime? time) => time is { } t ? SqliteValues.Text(t) : DBNull.Value;

    private static DateTime Time(string text) => SqliteValues.Time(text);

    /// <summary>The writer's connection and transaction, and the reads the three calls share.</summary>
    private readonly struct Statements(DbConnection connection, DbTransaction transaction)
    {
        public (LicenseSnapshot Snapshot, int BorrowMaxHours)? License(string keyHash)
        {
            using var command = Command(ReadLicense, ("@key", keyHash));
            using var row = command.ExecuteReader();
            if (!row.Read())
            {
                return null;
            }

            var snapshot = new LicenseSnapshot(
                Guid.Parse(row.GetString(0)),
                Guid.Parse(row.GetString(1)),
                row.GetInt32(2),
                row.GetString(3) == "active" ? LicenseState.Active : LicenseState.Suspended,
                row.IsDBNull(4) ? null : Time(row.GetString(4)),
                LedgerRules.ParseEntitlements(row.GetString(5)),
                row.GetInt64(8) != 0,
                row.GetString(6) == "node_locked" ? LicenseType.NodeLocked : LicenseType.Floating);
            return (snapshot, row.GetInt32(7));
        }

        public int CountLive(Guid licenseId, DateTime now) =>
            Convert.ToInt32(Scalar(CountLiveSql, ("@license", Id(licenseId)), ("@now", Text(now))), CultureInfo.InvariantCulture);

        public (string HardwareId, DateTime ExpiresAt, SessionState Status)? Session(Guid licenseId, Guid sessionId)
        {
            using var command = Command(FindSession, ("@id", Id(sessionId)), ("@license", Id(licenseId)));
            using var row = command.ExecuteReader();
            return row.Read() ? (row.GetString(0), Time(row.GetString(1)), Enum.Parse<SessionState>(row.GetString(2), ignoreCase: true)) : null;
        }

        /// <summary>The machine's active session (live or lapsed), if any.</summary>
        public (Guid Id, DateTime ExpiresAt)? Machine(Guid licenseId, string hardwareId)
        {
            using var command = Command(FindMachine, ("@license", Id(licenseId)), ("@hardware", hardwareId));
            using var row = command.ExecuteReader();
            return row.Read() ? (Guid.Parse(row.GetString(0)), Time(row.GetString(1))) : null;
        }

        /// <summary>Adds to the hour's usage; <paramref name="seatsUsed"/> becomes its last figure (and its peak, unless not <paramref name="peak"/>).</summary>
        public void Usage(LicenseSnapshot license, DateTime now, int acquisitions = 0, int releases = 0, int expiries = 0, int denials = 0,
            int seatsUsed = 0, bool peak = true) =>
            Execute(UsageSql, ("@license", Id(license.Id)), ("@hour", Text(LedgerRules.HourOf(now))), ("@tenant", Id(license.TenantId)),
                ("@acquisitions", acquisitions), ("@releases", releases), ("@expiries", expiries), ("@denials", denials),
                ("@peak", peak ? seatsUsed : DBNull.Value), ("@last", seatsUsed));

        public void Execute(string text, params (string Name, object? Value)[] parameters)
        {
            using var command = Command(text, parameters);
            command.ExecuteNonQuery();
        }

        public object? Scalar(string text, params (string Name, object? Value)[] parameters)
        {
            using var command = Command(text, parameters);
            return command.ExecuteScalar();
        }

        public DbCommand Command(string text, params (string Name, object? Value)[] parameters)
        {
            var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = text;
            foreach (var (name, value) in parameters)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                parameter.Value = value ?? DBNull.Value;
                command.Parameters.Add(parameter);
            }

            return command;
        }
    }
}

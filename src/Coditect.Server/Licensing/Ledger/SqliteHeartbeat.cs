using System.Data.Common;
using System.Globalization;

namespace Coditect.Server.Licensing.Ledger;

/// <summary>
/// A heartbeat on SQLite in SQL, run by <see cref="SqliteLedgerWriter"/> in its transaction: the licence is read (with its
/// organization's suspension), then one <c>UPDATE ... RETURNING</c> renews a live session (never shortening it: a borrowed
/// seat keeps its <c>borrowed_until</c>); when no row changed, one read says why. No EF Core context is made for it: a
/// context per request cost more than the statements (its service scope, and SQLite function registrations on every
/// open; dotnet-trace: about 75 KB allocated per heartbeat).
/// Values are written as EF Core writes them on SQLite, so EF reads them back: ids as upper-case text, times as
/// <c>yyyy-MM-dd HH:mm:ss.FFFFFFF</c> text (which sorts as the times do), states as their names in lower case.
/// </summary>
internal static class SqliteHeartbeat
{
    private const string RenewSql = """
        UPDATE license_sessions
        SET expires_at = max(expires_at, @expires), last_heartbeat_at = @now, heartbeat_count = heartbeat_count + 1, updated_at = @now
        WHERE id = @id AND license_id = @license AND status = 'active' AND expires_at > @now
        RETURNING hardware_id, expires_at, borrowed_until
        """;

    private const string Find = "SELECT hardware_id, expires_at, status FROM license_sessions WHERE id = @id AND license_id = @license";

    private const string ReadLicense = """
        SELECT l.id, l.tenant_id, l.seats_total, l.state, l.expires_at, l.entitlements, l.type,
               EXISTS (SELECT 1 FROM organizations o WHERE o.id = l.tenant_id AND o.suspended_at IS NOT NULL)
        FROM licenses l
        WHERE l.key_hash = @key
        """;

    /// <summary>The licence refusal, or the session's fate: <see cref="SqliteSeatLedger"/> turns it into a result.</summary>
    public static LeaseResult Run(DbConnection connection, DbTransaction transaction, string keyHash, Guid sessionId, DateTime now, DateTime expires)
    {
        var license = Read(connection, transaction, keyHash);
        if (LedgerRules.LeaseRefusal(license, now) is { } refusal)
        {
            return new LeaseResult(refusal, license, null, null);
        }

        return Renew(connection, transaction, license!.Id, sessionId, now, expires) switch
        {
            null => new LeaseResult(LeaseOutcome.SessionNotFound, license, null, null),
            { Renewed: false } s => new LeaseResult(LedgerRules.SessionRefusal(s.Status), license, s.HardwareId, s.ExpiresAt),
            var s => new LeaseResult(LeaseOutcome.Ok, license, s.HardwareId, s.ExpiresAt, s.BorrowedUntil),
        };
    }

    private static LicenseSnapshot? Read(DbConnection connection, DbTransaction transaction, string keyHash)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = ReadLicense;
        Add(command, "@key", keyHash);
        using var row = command.ExecuteReader();
        if (!row.Read())
        {
            return null;
        }

        return new LicenseSnapshot(
            Guid.Parse(row.GetString(0)),
            Guid.Parse(row.GetString(1)),
            row.GetInt32(2),
            row.GetString(3) == "active" ? LicenseState.Active : LicenseState.Suspended,
            row.IsDBNull(4) ? null : Time(row.GetString(4)),
            LedgerRules.ParseEntitlements(row.GetString(5)),
            row.GetInt64(7) != 0,
            row.GetString(6) == "node_locked" ? LicenseType.NodeLocked : LicenseType.Floating);
    }

    /// <summary>What became of the session, or null when the licence has no such session.</summary>
    private static Heartbeat? Renew(DbConnection connection, DbTransaction transaction, Guid licenseId, Guid sessionId, DateTime now, DateTime expires)
    {
        using (var renew = Command(connection, transaction, RenewSql, licenseId, sessionId))
        {
            Add(renew, "@expires", Text(expires));
            Add(renew, "@now", Text(now));
            using var reader = renew.ExecuteReader();
            if (reader.Read())
            {
                return new Heartbeat(true, SessionState.Active, reader.GetString(0), Time(reader.GetString(1)),
                    reader.IsDBNull(2) ? null : Time(reader.GetString(2)));
            }
        }

        using var find = Command(connection, transaction, Find, licenseId, sessionId);
        using var row = find.ExecuteReader();
        return row.Read()
            ? new Heartbeat(false, Enum.Parse<SessionState>(row.GetString(2), ignoreCase: true), row.GetString(0), Time(row.GetString(1)), null)
            : null;
    }

    private static DbCommand Command(DbConnection connection, DbTransaction transaction, string sql, Guid licenseId, Guid sessionId)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        Add(command, "@id", Id(sessionId));
        Add(command, "@license", Id(licenseId));
        return command;
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private static string Id(Guid id) => id.ToString().ToUpperInvariant();

    private static string Text(DateTime time) => time.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);

    private static DateTime Time(string text) =>
        DateTime.SpecifyKind(DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), DateTimeKind.Utc);
}

/// <summary>A heartbeat's outcome: <see cref="Renewed"/>, or the session's state that refused it.</summary>
internal sealed record Heartbeat(bool Renewed, SessionState Status, string HardwareId, DateTime ExpiresAt, DateTime? BorrowedUntil);

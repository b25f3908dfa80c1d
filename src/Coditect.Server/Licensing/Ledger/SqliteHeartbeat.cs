using System.Data.Common;
using System.Globalization;

namespace Coditect.Server.Licensing.Ledger;

/// <summary>
/// A heartbeat on SQLite in SQL, run by <see cref="SqliteLedgerWriter"/>: one <c>UPDATE ... RETURNING</c> renews a live
/// session (never shortening it: a borrowed seat keeps its <c>borrowed_until</c>); when no row changed, one read says why.
/// Values are written as EF Core writes them on SQLite, so EF reads them back: ids as upper-case text, times as
/// <c>yyyy-MM-dd HH:mm:ss.FFFFFFF</c> text (which sorts as the times do), states as their names in lower case.
/// </summary>
internal static class SqliteHeartbeat
{
    private const string Renew = """
        UPDATE license_sessions
        SET expires_at = max(expires_at, @expires), last_heartbeat_at = @now, heartbeat_count = heartbeat_count + 1, updated_at = @now
        WHERE id = @id AND license_id = @license AND status = 'active' AND expires_at > @now
        RETURNING hardware_id, expires_at, borrowed_until
        """;

    private const string Find = "SELECT hardware_id, expires_at, status FROM license_sessions WHERE id = @id AND license_id = @license";

    /// <summary>What became of the session, or null when the licence has no such session.</summary>
    public static Heartbeat? Run(DbConnection connection, DbTransaction transaction, Guid licenseId, Guid sessionId, DateTime now, DateTime expires)
    {
        using (var renew = Command(connection, transaction, Renew, licenseId, sessionId))
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

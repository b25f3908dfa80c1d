using System.Globalization;

namespace Coditect.Server.Data;

/// <summary>
/// Values as EF Core stores them on SQLite, for the SQL written by hand beside it (the seat ledger's calls, the message
/// search): ids as upper-case text, times as <c>yyyy-MM-dd HH:mm:ss.FFFFFFF</c> text, which sorts as the times do.
/// SQL that writes otherwise leaves rows EF misreads, or comparisons that miss.
/// </summary>
internal static class SqliteValues
{
    private const string TimeFormat = "yyyy-MM-dd HH:mm:ss.FFFFFFF";

    public static string Id(Guid id) => id.ToString().ToUpperInvariant();

    public static string Text(DateTime time) => time.ToString(TimeFormat, CultureInfo.InvariantCulture);

    /// <summary>A stored time, as UTC (every time here is).</summary>
    public static DateTime Time(string text) =>
        DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
}

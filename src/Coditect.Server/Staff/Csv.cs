using System.Globalization;
using System.Text;

namespace Coditect.Server.Staff;

/// <summary>
/// The staff exports' CSV: RFC 4180 (CRLF line ends, a field quoted when it holds a comma, quote or line break, a quote
/// doubled), and safe to open in a spreadsheet: a text that starts like a formula (<c>= + - @</c>, tab or carriage
/// return) gets a leading single quote, so an organization named <c>=HYPERLINK(...)</c> stays text (OWASP, CSV
/// injection). Names are the customers' own input; staff open these files.
/// </summary>
public sealed class Csv
{
    private readonly StringBuilder _text = new();

    public Csv(params string[] header) => Row(header);

    public Csv Row(params string?[] fields)
    {
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                _text.Append(',');
            }

            _text.Append(Field(fields[i]));
        }

        _text.Append("\r\n");
        return this;
    }

    public byte[] ToBytes() => Encoding.UTF8.GetBytes(_text.ToString());

    public override string ToString() => _text.ToString();

    public static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    public static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>RFC 3339 in UTC, to the second; empty for none.</summary>
    public static string Time(DateTime? value) =>
        value is { } time ? DateTime.SpecifyKind(time, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "";
}

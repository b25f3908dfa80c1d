using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coditect.Contracts.DevContext;

namespace Coditect.Server.DevContext.WorkSessions;

/// <summary>One content block as stored: the members the hash covers, nothing else (no ids).</summary>
public sealed record Block(string Type, string? Text = null, string? Name = null, JsonElement? Input = null, string? Content = null, bool IsError = false)
{
    public ContentBlock ToWire() => Type switch
    {
        BlockTypes.ToolUse => new ContentBlock(Type, Name: Name, Input: Input),
        BlockTypes.ToolResult => new ContentBlock(Type, Content: Content, IsError: IsError),
        _ => new ContentBlock(Type, Text: Text),
    };
}

/// <summary>
/// A message content's identity (decisions, "Content hash"): RFC 8785 (JCS) canonical JSON of
/// <c>{"blocks":[...]}</c> with blocks <c>{type:"text",text}</c>, <c>{type:"thinking",text}</c>,
/// <c>{type:"tool_use",name,input}</c> and <c>{type:"tool_result",content,is_error}</c>; the hash is the lower-case hex
/// SHA-256 of its UTF-8. Ids, role, model, timestamps and usage are left out, so the same words said twice, in any
/// session or organization, hash the same.
/// </summary>
public static class ContentHash
{
    /// <summary>The canonical JSON of <paramref name="blocks"/>.</summary>
    public static string Canonical(IReadOnlyList<Block> blocks)
    {
        var json = new StringBuilder(256);
        json.Append("{\"blocks\":[");
        for (var i = 0; i < blocks.Count; i++)
        {
            if (i > 0)
            {
                json.Append(',');
            }

            var b = blocks[i];
            // Members in JCS order (UTF-16 code units): content < input < is_error < name < text < type.
            switch (b.Type)
            {
                case BlockTypes.ToolUse:
                    json.Append("{\"input\":");
                    if (b.Input is { } input)
                    {
                        WriteValue(json, input);
                    }
                    else
                    {
                        json.Append("null");
                    }

                    json.Append(",\"name\":");
                    WriteString(json, b.Name ?? "");
                    break;
                case BlockTypes.ToolResult:
                    json.Append("{\"content\":");
                    WriteString(json, b.Content ?? "");
                    json.Append(",\"is_error\":").Append(b.IsError ? "true" : "false");
                    break;
                default:
                    json.Append("{\"text\":");
                    WriteString(json, b.Text ?? "");
                    break;
            }

            json.Append(",\"type\":");
            WriteString(json, b.Type);
            json.Append('}');
        }

        return json.Append("]}").ToString();
    }

    /// <summary>Lower-case hex SHA-256 of the UTF-8 of <paramref name="canonical"/>, and that UTF-8's length.</summary>
    public static (string Hash, int Bytes) Of(string canonical)
    {
        var utf8 = Encoding.UTF8.GetBytes(canonical);
        return (Convert.ToHexStringLower(SHA256.HashData(utf8)), utf8.Length);
    }

    /// <summary>Reads stored canonical JSON back into blocks.</summary>
    public static List<Block> Parse(string canonical)
    {
        using var document = JsonDocument.Parse(canonical);
        var blocks = new List<Block>();
        foreach (var b in document.RootElement.GetProperty("blocks").EnumerateArray())
        {
            var type = b.GetProperty("type").GetString()!;
            blocks.Add(type switch
            {
                BlockTypes.ToolUse => new Block(type, Name: b.GetProperty("name").GetString(), Input: b.GetProperty("input").Clone()),
                BlockTypes.ToolResult => new Block(type, Content: b.GetProperty("content").GetString(), IsError: b.GetProperty("is_error").GetBoolean()),
                _ => new Block(type, Text: b.GetProperty("text").GetString()),
            });
        }

        return blocks;
    }

    /// <summary>Any JSON value in canonical form: members sorted by UTF-16 code units, numbers as ECMAScript prints them, minimal string escapes.</summary>
    public static void WriteValue(StringBuilder json, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                json.Append('{');
                var first = true;
                foreach (var member in value.EnumerateObject().OrderBy(m => m.Name, StringComparer.Ordinal))
                {
                    if (!first)
                    {
                        json.Append(',');
                    }

                    first = false;
                    WriteString(json, member.Name);
                    json.Append(':');
                    WriteValue(json, member.Value);
                }

                json.Append('}');
                break;
            case JsonValueKind.Array:
                json.Append('[');
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (index++ > 0)
                    {
                        json.Append(',');
                    }

                    WriteValue(json, item);
                }

                json.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(json, value.GetString()!);
                break;
            case JsonValueKind.Number:
                json.Append(Number(value.GetDouble()));
                break;
            case JsonValueKind.True:
                json.Append("true");
                break;
            case JsonValueKind.False:
                json.Append("false");
                break;
            default:
                json.Append("null");
                break;
        }
    }

    /// <summary>JCS string: only <c>"</c>, <c>\</c> and C0 controls are escaped (<c>\b \t \n \f \r</c>, else <c>\u00xx</c>).</summary>
    public static void WriteString(StringBuilder json, string text)
    {
        json.Append('"');
        var run = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c >= ' ' && c != '"' && c != '\\')
            {
                continue;
            }

            json.Append(text, run, i - run);
            run = i + 1;
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\b': json.Append("\\b"); break;
                case '\t': json.Append("\\t"); break;
                case '\n': json.Append("\\n"); break;
                case '\f': json.Append("\\f"); break;
                case '\r': json.Append("\\r"); break;
                default: json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
            }
        }

        json.Append(text, run, text.Length - run).Append('"');
    }

    /// <summary>A double as ECMAScript's Number.prototype.toString prints it (RFC 8785 §3.2.2.3).</summary>
    public static string Number(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), "JSON has no NaN or infinity.");
        }

        if (value == 0)
        {
            return "0";
        }

        // Shortest round-trip digits and the decimal exponent: value = 0.d1d2...dk * 10^n.
        var shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var (digits, n) = Decompose(shortest);
        var k = digits.Length;
        var sign = value < 0 ? "-" : "";
        string body;
        if (k <= n && n <= 21)
        {
            body = digits + new string('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            body = digits[..n] + "." + digits[n..];
        }
        else if (-6 < n && n <= 0)
        {
            body = "0." + new string('0', -n) + digits;
        }
        else
        {
            var e = n - 1;
            var exponent = (e >= 0 ? "+" : "-") + Math.Abs(e).ToString(CultureInfo.InvariantCulture);
            body = k == 1 ? digits + "e" + exponent : digits[..1] + "." + digits[1..] + "e" + exponent;
        }

        return sign + body;
    }

    /// <summary>Splits .NET's shortest round-trip form (<c>1.2345E+21</c>, <c>0.001</c>, <c>123</c>) into significant digits and exponent n.</summary>
    private static (string Digits, int N) Decompose(string text)
    {
        var exponent = 0;
        var e = text.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }

        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var integerPart = dot < 0 ? text : text[..dot];
        var fraction = dot < 0 ? "" : text[(dot + 1)..];
        var all = integerPart + fraction;
        var n = integerPart.Length + exponent;
        var leading = 0;
        while (leading < all.Length - 1 && all[leading] == '0')
        {
            leading++;
        }

        all = all[leading..];
        n -= leading;
        all = all.TrimEnd('0');
        return (all.Length == 0 ? "0" : all, n);
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using Coditect.Contracts.DevContext;
using Coditect.Server.DevContext.WorkSessions;

namespace Coditect.Server.DevContext.Search;

/// <summary>The three searchable fields of a content, normalized: text blocks, thinking, tool calls and results.</summary>
public sealed record SearchFields(string Body, string Thinking, string Tools);

/// <summary>
/// Our own tokenizer, the same for both databases (decisions, "Search"): a token is a run of letters and digits,
/// lower-cased, with diacritics removed (as FTS5's <c>unicode61 remove_diacritics 2</c>); everything else separates.
/// Both indexes are fed the tokens joined by spaces, so PostgreSQL's parser never sees a URL, path or version number
/// as one token and both providers find the same messages; <c>foo_bar.cs</c> is three tokens, and a query for it a
/// phrase of them. At most <see cref="MaxIndexedChars"/> characters of each field are indexed.
/// </summary>
public static class SearchText
{
    public const int MaxIndexedChars = 200_000;

    public static SearchFields Fields(IReadOnlyList<Block> blocks) => new(
        Normalize(Display(blocks, BlockTypes.Text)),
        Normalize(Display(blocks, BlockTypes.Thinking)),
        Normalize(Display(blocks, BlockTypes.ToolUse)));

    /// <summary>
    /// The readable text of one field: text blocks, thinking blocks, or (<see cref="BlockTypes.ToolUse"/>) tool names,
    /// inputs and results.
    /// </summary>
    public static string Display(IReadOnlyList<Block> blocks, string field)
    {
        var text = new StringBuilder();
        foreach (var b in blocks)
        {
            var part = (field, b.Type) switch
            {
                (BlockTypes.Text, BlockTypes.Text) => b.Text,
                (BlockTypes.Thinking, BlockTypes.Thinking) => b.Text,
                (BlockTypes.ToolUse, BlockTypes.ToolUse) => b.Name + " " + (b.Input is { } input ? Flatten(input) : ""),
                (BlockTypes.ToolUse, BlockTypes.ToolResult) => b.Content,
                _ => null,
            };
            if (!string.IsNullOrEmpty(part))
            {
                if (text.Length > 0)
                {
                    text.Append('\n');
                }

                text.Append(part);
            }
        }

        return text.ToString();
    }

    /// <summary>A tool input's names and values as plain text.</summary>
    private static string Flatten(JsonElement value)
    {
        var text = new StringBuilder();
        void Walk(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var m in e.EnumerateObject())
                    {
                        text.Append(m.Name).Append(' ');
                        Walk(m.Value);
                    }

                    break;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray())
                    {
                        Walk(item);
                    }

                    break;
                case JsonValueKind.String:
                    text.Append(e.GetString()).Append(' ');
                    break;
                case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                    text.Append(e.GetRawText()).Append(' ');
                    break;
            }
        }

        Walk(value);
        return text.ToString();
    }

    /// <summary>The normalized tokens of <paramref name="text"/> joined by single spaces.</summary>
    public static string Normalize(string text)
    {
        if (text.Length > MaxIndexedChars)
        {
            text = text[..MaxIndexedChars];
        }

        var result = new StringBuilder(text.Length);
        foreach (var (start, length) in Tokens(text))
        {
            if (result.Length > 0)
            {
                result.Append(' ');
            }

            result.Append(Token(text.AsSpan(start, length)));
        }

        return result.ToString();
    }

    /// <summary>Normalized tokens, for the query parser.</summary>
    public static List<string> TokenList(string text) => [.. Tokens(text).Select(t => Token(text.AsSpan(t.Start, t.Length)))];

    /// <summary>Where each token of <paramref name="text"/> starts and how long it is (UTF-16 units).</summary>
    public static IEnumerable<(int Start, int Length)> Tokens(string text)
    {
        var start = -1;
        var i = 0;
        while (i < text.Length)
        {
            var width = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            var inToken = width == 2
                ? Rune.TryCreate(text[i], text[i + 1], out var rune) && Rune.IsLetterOrDigit(rune)
                : IsTokenChar(text[i], start >= 0);
            if (inToken && start < 0)
            {
                start = i;
            }
            else if (!inToken && start >= 0)
            {
                yield return (start, i - start);
                start = -1;
            }

            i += width;
        }

        if (start >= 0)
        {
            yield return (start, text.Length - start);
        }
    }

    private static bool IsTokenChar(char c, bool inToken) =>
        char.IsLetterOrDigit(c) || (inToken && CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark);

    /// <summary>
    /// The base letter of each of U+00C0..U+024F that decomposes to an ASCII letter and marks ('.': none). The server
    /// runs with invariant globalization, where string.Normalize does not decompose, so the folding is tabled here.
    /// </summary>
    private const string Folding =
        "AAAAAA.CEEEEIIII.NOOOOO..UUUUY..aaaaaa.ceeeeiiii.nooooo..uuuuy.yAaAaAaCcCcCcCcDd..EeEeEeEeEeGgGgGgGgHh..IiIiIiIiI...JjKk.LlLlLl....NnNnNn...OoOoOo..RrRrRrSsSsSsSsTtTt..UuUuUuUuUuUuWwYyYZzZzZz.................................Oo.............Uu............................AaIiOoUuUuUuUuUu.AaAa....GgKkOoOo..j...Gg..NnAa....AaAaEeEeIiIiOoOoRrRrUuUuSsTt..Hh......AaEeOoOoOoOoYy............................";

    /// <summary>Lower case without diacritics (Latin letters folded by <see cref="Folding"/>, combining marks dropped).</summary>
    public static string Token(ReadOnlySpan<char> token)
    {
        var folded = new StringBuilder(token.Length);
        foreach (var c in token)
        {
            if (c < 0x80)
            {
                folded.Append(c);
            }
            else if (c is >= '\u00C0' and <= '\u024F' && Folding[c - 0xC0] != '.')
            {
                folded.Append(Folding[c - 0xC0]);
            }
            else if (CharUnicodeInfo.GetUnicodeCategory(c) is not (UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark))
            {
                folded.Append(c);
            }
        }

        return folded.ToString().ToLowerInvariant();
    }

    /// <summary>
    /// Up to about <paramref name="width"/> characters of <paramref name="text"/> around its first match of
    /// <paramref name="query"/>, HTML-escaped, with every matching token in <c>&lt;mark&gt;</c>; null when nothing matches.
    /// </summary>
    public static string? Snippet(string text, SearchQuery query, int width = 200)
    {
        var tokens = Tokens(text).Select(t => (t.Start, t.Length, Norm: Token(text.AsSpan(t.Start, t.Length)))).ToList();
        var marked = new bool[tokens.Count];
        var first = -1;
        foreach (var term in query.Terms.Where(t => !t.Excluded))
        {
            for (var i = 0; i + term.Tokens.Count <= tokens.Count; i++)
            {
                var matches = true;
                for (var j = 0; j < term.Tokens.Count && matches; j++)
                {
                    var last = j == term.Tokens.Count - 1;
                    matches = last && term.Prefix
                        ? tokens[i + j].Norm.StartsWith(term.Tokens[j], StringComparison.Ordinal)
                        : tokens[i + j].Norm == term.Tokens[j];
                }

                if (matches)
                {
                    for (var j = 0; j < term.Tokens.Count; j++)
                    {
                        marked[i + j] = true;
                    }

                    first = first < 0 ? i : Math.Min(first, i);
                }
            }
        }

        if (first < 0)
        {
            return null;
        }

        var from = Math.Max(0, tokens[first].Start - (width / 4));
        while (from > 0 && !char.IsWhiteSpace(text[from - 1]) && tokens[first].Start - from < width / 2)
        {
            from--;
        }

        var to = Math.Min(text.Length, from + width);
        if (to < text.Length && char.IsLowSurrogate(text[to]))
        {
            to++;
        }

        if (from > 0 && char.IsLowSurrogate(text[from]))
        {
            from--;
        }

        var snippet = new StringBuilder();
        if (from > 0)
        {
            snippet.Append('…');
        }

        var at = from;
        for (var i = 0; i < tokens.Count; i++)
        {
            var (start, length, _) = tokens[i];
            if (!marked[i] || start < from || start + length > to)
            {
                continue;
            }

            snippet.Append(Escape(Clean(text[at..start]))).Append("<mark>")
                .Append(Escape(text.Substring(start, length))).Append("</mark>");
            at = start + length;
        }

        snippet.Append(Escape(Clean(text[at..to])));
        if (to < text.Length)
        {
            snippet.Append('…');
        }

        return snippet.ToString();
    }

    /// <summary>HTML's five special characters escaped; everything else as it is (no numeric entities).</summary>
    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);

    /// <summary>Line breaks and tabs read as spaces in a one-line snippet.</summary>
    private static string Clean(string text) => text.Replace('\n', ' ').Replace('\r', ' ').Replace('\t', ' ');
}

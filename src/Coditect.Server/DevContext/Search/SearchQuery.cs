using System.Text;

namespace Coditect.Server.DevContext.Search;

/// <summary>One term of a query: its normalized tokens (several make a phrase), excluded (<c>-word</c>), prefix (<c>word*</c>).</summary>
public sealed record SearchTerm(IReadOnlyList<string> Tokens, bool Excluded, bool Prefix);

/// <summary>
/// The search grammar (decisions, "Search"): words (all must appear), <c>"quoted phrases"</c>, <c>-excluded</c> words or
/// phrases, and <c>prefix*</c>. Words are normalized like the indexed text (<see cref="SearchText"/>), so
/// <c>Config.cs</c> is the phrase <c>config cs</c>. A query needs at least one term that is not excluded. Written out
/// as a PostgreSQL <c>tsquery</c> (<see cref="ToTsQuery"/>) and an FTS5 <c>MATCH</c> expression (<see cref="ToFts5(bool, bool)"/>).
/// </summary>
public sealed record SearchQuery(IReadOnlyList<SearchTerm> Terms)
{
    public const int MaxTerms = 16;

    /// <summary>Parses <paramref name="text"/>; the error says what is wrong (for the <c>q</c> field) when it cannot be searched.</summary>
    public static (SearchQuery? Query, string? Error) Parse(string text)
    {
        var terms = new List<SearchTerm>();
        var i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                i++;
                continue;
            }

            var excluded = false;
            if (text[i] == '-' && i + 1 < text.Length && !char.IsWhiteSpace(text[i + 1]))
            {
                excluded = true;
                i++;
            }

            string raw;
            bool quoted;
            if (text[i] == '"')
            {
                var end = text.IndexOf('"', i + 1);
                raw = end < 0 ? text[(i + 1)..] : text[(i + 1)..end];
                i = end < 0 ? text.Length : end + 1;
                quoted = true;
            }
            else
            {
                var start = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] != '"')
                {
                    i++;
                }

                raw = text[start..i];
                quoted = false;
            }

            var prefix = false;
            if (i < text.Length && text[i] == '*')
            {
                prefix = true;
                i++;
            }
            else if (!quoted && raw.EndsWith('*'))
            {
                prefix = true;
                raw = raw.TrimEnd('*');
            }

            var tokens = SearchText.TokenList(raw);
            if (tokens.Count > 0)
            {
                terms.Add(new SearchTerm(tokens, excluded, prefix));
            }
        }

        if (terms.Count > MaxTerms)
        {
            return (null, $"must have at most {MaxTerms} words and phrases.");
        }

        if (!terms.Any(t => !t.Excluded))
        {
            return (null, "needs at least one word or phrase that is not excluded.");
        }

        return (new SearchQuery(terms), null);
    }

    /// <summary>
    /// The <c>tsquery</c> text for <c>to_tsquery('simple', ...)</c>; each lexeme is restricted to the weights searched
    /// (A text, B thinking, C tools).
    /// </summary>
    public string ToTsQuery(bool thinking, bool tools)
    {
        var weights = "A" + (thinking ? "B" : "") + (tools ? "C" : "");
        var parts = new List<string>();
        foreach (var term in Terms)
        {
            var lexemes = term.Tokens.Select((t, index) =>
                $"'{t.Replace("'", "''", StringComparison.Ordinal).Replace("\\", "\\\\", StringComparison.Ordinal)}':{(term.Prefix && index == term.Tokens.Count - 1 ? "*" : "")}{weights}");
            var expression = term.Tokens.Count == 1 ? lexemes.Single() : "(" + string.Join(" <-> ", lexemes) + ")";
            parts.Add(term.Excluded ? "!" + expression : expression);
        }

        return string.Join(" & ", parts);
    }

    /// <summary>The FTS5 MATCH expression over <c>body</c>, and <c>thinking</c> / <c>tools</c> when asked for.</summary>
    public string ToFts5(bool thinking, bool tools) => ToFts5("body" + (thinking ? " thinking" : "") + (tools ? " tools" : ""));

    /// <summary>The FTS5 MATCH expression over <paramref name="columns"/> (space-separated; <c>title</c> for conversation titles).</summary>
    public string ToFts5(string columns)
    {
        static string Phrase(SearchTerm term) =>
            "\"" + string.Join(" ", term.Tokens).Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" + (term.Prefix ? "*" : "");

        var expression = new StringBuilder("{").Append(columns).Append("} : (");
        expression.Append(string.Join(" AND ", Terms.Where(t => !t.Excluded).Select(Phrase)));
        foreach (var term in Terms.Where(t => t.Excluded))
        {
            expression.Append(" NOT ").Append(Phrase(term));
        }

        return expression.Append(')').ToString();
    }
}

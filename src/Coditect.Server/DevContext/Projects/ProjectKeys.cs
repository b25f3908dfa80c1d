using System.Text;
using System.Text.RegularExpressions;

namespace Coditect.Server.DevContext.Projects;

/// <summary>
/// Project keys (decisions, "Dev Context"): 2-10 upper-case letters and digits starting with a letter, unique in the
/// organization among every key any project has had. A task reference is <c>KEY-number</c>; commit messages are
/// searched for <see cref="Reference"/>.
/// </summary>
public static partial class ProjectKeys
{
    public const string Pattern = "^[A-Z][A-Z0-9]{1,9}$";

    [GeneratedRegex(Pattern)]
    private static partial Regex Valid();

    /// <summary>A task reference anywhere in text: <c>\b[A-Z][A-Z0-9]{1,9}-\d+\b</c>.</summary>
    [GeneratedRegex(@"\b([A-Z][A-Z0-9]{1,9})-(\d+)\b")]
    public static partial Regex Reference();

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9]{1,9})-(\d{1,9})$")]
    private static partial Regex WholeReference();

    /// <summary>U+00C0 to U+00FF without their accents (a space for × and ÷).</summary>
    private const string Latin1 = "AAAAAAACEEEEIIIIDNOOOOO OUUUUYTsaaaaaaaceeeeiiiidnooooo ouuuuyty";

    public static bool IsValid(string key) => Valid().IsMatch(key);

    /// <summary>The key and number of a whole reference (<c>PRJ-42</c>, any case), or null.</summary>
    public static (string Key, int Number)? ParseReference(string text)
    {
        var match = WholeReference().Match(text.Trim());
        return match.Success && int.TryParse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture, out var number) && number > 0
            ? (match.Groups[1].Value.ToUpperInvariant(), number)
            : null;
    }

    /// <summary>
    /// Every reference in <paramref name="text"/> (a commit message), as (key, number), once each. Only keys the
    /// organization has count; the caller filters.
    /// </summary>
    public static IEnumerable<(string Key, int Number)> FindReferences(string text)
    {
        var seen = new HashSet<(string, int)>();
        foreach (Match match in Reference().Matches(text))
        {
            if (int.TryParse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture, out var number) && number > 0
                && seen.Add((match.Groups[1].Value, number)))
            {
                yield return (match.Groups[1].Value, number);
            }
        }
    }

    /// <summary>
    /// A key from a project's name: the initials of its words (<c>Coditect Platform</c> to <c>CP</c>), or the first
    /// three letters of a single word (<c>Billing</c> to <c>BIL</c>); letters and digits only, starting with a letter.
    /// </summary>
    public static string FromName(string name)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (var raw in name)
        {
            // The server runs with invariant globalization (no Unicode normalization): Latin-1 letters are folded by table.
            var c = raw is >= '\u00C0' and <= '\u00FF' ? Latin1[raw - '\u00C0'] : raw;
            if (char.IsAsciiLetterOrDigit(c))
            {
                word.Append(char.ToUpperInvariant(c));
            }
            else if (!char.IsLetterOrDigit(c) && word.Length > 0)
            {
                words.Add(word.ToString());
                word.Clear();
            }
        }

        if (word.Length > 0)
        {
            words.Add(word.ToString());
        }

        var key = words.Count >= 2 ? string.Concat(words.Select(w => w[0])) : words.FirstOrDefault() is { } only ? only[..Math.Min(3, only.Length)] : "";
        key = key.TrimStart("0123456789".ToCharArray());
        if (key.Length > 10)
        {
            key = key[..10];
        }

        return key.Length >= 2 ? key : (key + "PRJ")[..3];
    }

    /// <summary>The candidate after <paramref name="key"/> is taken: <c>CP</c>, <c>CP2</c>, <c>CP3</c>, ... within 10 characters.</summary>
    public static string Numbered(string key, int attempt)
    {
        var suffix = attempt.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return key[..Math.Min(key.Length, 10 - suffix.Length)] + suffix;
    }
}

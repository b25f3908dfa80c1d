using System.Text;
using System.Text.RegularExpressions;

namespace Coditect.Server.Organizations;

/// <summary>URL names for organizations: lower-case letters, digits and single hyphens, 3 to 63 characters.</summary>
public static partial class Slugs
{
    internal const string Pattern = "^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$";

    [GeneratedRegex(Pattern)]
    private static partial Regex Valid();

    public static bool IsValid(string slug) => Valid().IsMatch(slug) && !Guid.TryParse(slug, out _);

    public static string FromName(string name)
    {
        var builder = new StringBuilder();
        foreach (var c in name.Normalize(NormalizationForm.FormD).ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                builder.Append(c);
            }
            else if ((char.IsWhiteSpace(c) || c is '-' or '_' or '.') && builder.Length > 0 && builder[^1] != '-')
            {
                builder.Append('-');
            }
        }

        var slug = builder.ToString().Trim('-');
        if (slug.Length > 50)
        {
            slug = slug[..50].Trim('-');
        }

        return slug.Length >= 3 ? slug : $"org-{slug}".Trim('-');
    }
}

using Coditect.Server.Platform;

namespace Coditect.Server.DevContext;

/// <summary>Reads the list filters Dev Context's lists share; bad values are field errors and read as "no filter".</summary>
internal static class Query
{
    public const int MaxSearch = 200;

    /// <summary><c>search</c>: trimmed, at most 200 characters (control characters were refused before the endpoint ran).</summary>
    public static string Search(HttpRequest request, Validator errors)
    {
        var search = request.Query["search"].ToString().Trim();
        if (search.Length > MaxSearch)
        {
            errors.Add("search", $"must be at most {MaxSearch} characters.");
            return "";
        }

        return search;
    }

    public static string? Text(HttpRequest request, string name) =>
        request.Query[name].ToString() is { Length: > 0 } value ? value.Trim() : null;

    public static Guid? Id(HttpRequest request, Validator errors, string name)
    {
        var raw = request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return null;
        }

        if (!Guid.TryParse(raw, out var id))
        {
            errors.Add(name, "must be a UUID.");
            return null;
        }

        return id;
    }

    public static string? OneOf(HttpRequest request, Validator errors, string name, IReadOnlyCollection<string> values)
    {
        var raw = request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return null;
        }

        if (!values.Contains(raw))
        {
            errors.Add(name, $"must be one of {string.Join(", ", values)}.");
            return null;
        }

        return raw;
    }

    public static DateTime? Time(HttpRequest request, Validator errors, string name)
    {
        var raw = request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(raw, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var value))
        {
            errors.Add(name, "must be an RFC 3339 time, e.g. 2026-01-31T00:00:00Z.");
            return null;
        }

        return value.UtcDateTime;
    }

    public static int? Int(HttpRequest request, Validator errors, string name, int min, int max)
    {
        var raw = request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return null;
        }

        if (!int.TryParse(raw, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            errors.Add(name, $"must be a whole number from {min} to {max}.");
            return null;
        }

        return value;
    }
}

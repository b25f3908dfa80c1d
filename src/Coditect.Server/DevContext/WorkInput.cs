using System.Globalization;
using System.Text.Json;
using Coditect.Contracts.DevContext;
using Coditect.Server.Platform;

namespace Coditect.Server.DevContext;

/// <summary>
/// Validation of Dev Context fields, shared by every use case. Field errors carry the wire names. Short fields follow
/// <see cref="WireText"/>'s rule (no control characters); long text (descriptions, plans, markdown, commit messages)
/// refuses only NUL and unpaired surrogates.
/// </summary>
internal static class WorkInput
{
    public const int MaxDescriptionChars = 100_000;
    public const int MaxLabels = 20;
    public const int MaxLabelChars = 50;

    public static readonly string[] Statuses = [TaskStatuses.Todo, TaskStatuses.InProgress, TaskStatuses.Blocked, TaskStatuses.Done];
    public static readonly string[] Priorities = [TaskPriorities.Low, TaskPriorities.Medium, TaskPriorities.High, TaskPriorities.Urgent];

    /// <summary>An optional short field: null or blank is null, otherwise trimmed and checked.</summary>
    public static string? Optional(Validator errors, string field, string? value, int max = 200) =>
        string.IsNullOrWhiteSpace(value) ? null : errors.Required(field, value, max);

    /// <summary>Optional long text: null or empty is null; NUL, unpaired surrogates and more than <paramref name="max"/> characters are errors.</summary>
    public static string? LongText(Validator errors, string field, string? value, int max = MaxDescriptionChars)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (WireText.Problem(value, longText: true) is { } problem)
        {
            errors.Add(field, problem);
        }
        else if (value.Length > max)
        {
            errors.Add(field, $"must be at most {max:N0} characters.");
        }

        return value;
    }

    public static string Status(Validator errors, string? value, string fallback, string field = "status")
    {
        if (value is null)
        {
            return fallback;
        }

        if (!Statuses.Contains(value))
        {
            errors.Add(field, $"must be one of {string.Join(", ", Statuses)}.");
            return fallback;
        }

        return value;
    }

    public static int Priority(Validator errors, string? value, int fallback)
    {
        if (value is null)
        {
            return fallback;
        }

        var rank = Array.IndexOf(Priorities, value);
        if (rank < 0)
        {
            errors.Add("priority", $"must be one of {string.Join(", ", Priorities)}.");
            return fallback;
        }

        return rank;
    }

    public static string PriorityName(int rank) => rank >= 0 && rank < Priorities.Length ? Priorities[rank] : TaskPriorities.Medium;

    /// <summary>A calendar date, <c>yyyy-MM-dd</c>.</summary>
    public static DateOnly? Date(Validator errors, string field, string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (!DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            errors.Add(field, "must be a date like 2027-01-31.");
            return null;
        }

        return date;
    }

    public static string? FormatDate(DateOnly? date) => date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static double? Estimate(Validator errors, double? hours)
    {
        if (hours is { } value && (double.IsNaN(value) || value < 0 || value > 100_000))
        {
            errors.Add("estimate_hours", "must be from 0 to 100,000 hours.");
        }

        return hours;
    }

    /// <summary>Labels as stored (a JSON array): each 1-50 characters without control characters, at most 20, duplicates dropped.</summary>
    public static string Labels(Validator errors, IReadOnlyList<string>? labels)
    {
        var list = new List<string>();
        foreach (var label in labels ?? [])
        {
            if (string.IsNullOrWhiteSpace(label) || label.Trim().Length > MaxLabelChars || WireText.Problem(label) is not null
                || label.Contains('"', StringComparison.Ordinal) || label.Contains('\\', StringComparison.Ordinal))
            {
                errors.Add("labels", $"items must be 1 to {MaxLabelChars} characters, without control characters, quotes or backslashes.");
                break;
            }

            if (!list.Contains(label.Trim(), StringComparer.Ordinal))
            {
                list.Add(label.Trim());
            }
        }

        if (list.Count > MaxLabels)
        {
            errors.Add("labels", $"must have at most {MaxLabels} items.");
        }

        return JsonSerializer.Serialize(list);
    }

    public static IReadOnlyList<string> ReadList(string json) => JsonSerializer.Deserialize<List<string>>(json) ?? [];

    /// <summary>A position among siblings: 0 first.</summary>
    public static int? Position(Validator errors, int? position, string field = "position")
    {
        if (position is < 0 or > 1_000_000)
        {
            errors.Add(field, "must be from 0 to 1,000,000.");
            return null;
        }

        return position;
    }

    /// <summary>A LIKE pattern that finds <paramref name="text"/> anywhere, with LIKE's own characters escaped by a backslash.</summary>
    public static string Contains(string text) =>
        $"%{text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal)}%";
}

/// <summary>
/// A partial-update body read member by member, so that a member sent as null (clear it) differs from one left out
/// (keep it). Type errors are field errors under the member's name.
/// </summary>
internal sealed class PatchBody(JsonElement body, Validator errors)
{
    public bool IsObject => body.ValueKind == JsonValueKind.Object;

    public bool Has(string name) => IsObject && body.TryGetProperty(name, out _);

    public Sent<string?>? Text(string name) => Read(name, e => e.ValueKind == JsonValueKind.Null ? null : e.GetString());

    public Sent<Guid?>? Id(string name) => Read<Guid?>(name, e => e.ValueKind == JsonValueKind.Null ? null : e.GetGuid());

    public Sent<double?>? Number(string name) => Read<double?>(name, e => e.ValueKind == JsonValueKind.Null ? null : e.GetDouble());

    public Sent<bool?>? Flag(string name) => Read<bool?>(name, e => e.ValueKind == JsonValueKind.Null ? null : e.GetBoolean());

    public Sent<IReadOnlyList<string>?>? Texts(string name) =>
        Read<IReadOnlyList<string>?>(name, e => e.ValueKind == JsonValueKind.Null ? null : e.Deserialize<List<string>>());

    private Sent<T>? Read<T>(string name, Func<JsonElement, T> read)
    {
        if (!IsObject || !body.TryGetProperty(name, out var value))
        {
            return null;
        }

        try
        {
            return new Sent<T>(read(value));
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException)
        {
            errors.Add(name, "has the wrong type or format.");
            return null;
        }
    }
}

/// <summary>A value a partial update sent, null included.</summary>
internal readonly record struct Sent<T>(T Value);

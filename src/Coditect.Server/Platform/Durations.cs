using System.Globalization;

namespace Coditect.Server.Platform;

/// <summary>Comma-separated durations in settings (<c>5s,5m,2h,1d</c>), such as retry schedules.</summary>
public static class Durations
{
    /// <summary>The durations in order, or null when any part is not a number followed by s, m, h or d.</summary>
    public static List<TimeSpan>? Parse(string value)
    {
        var waits = new List<TimeSpan>();
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.Length < 2 || !double.TryParse(part[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || amount < 0)
            {
                return null;
            }

            TimeSpan? wait = part[^1] switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            if (wait is null)
            {
                return null;
            }

            waits.Add(wait.Value);
        }

        return waits;
    }
}

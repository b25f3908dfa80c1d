using System.Text.Json;
using System.Text.RegularExpressions;
using Coditect.Server.Platform;

namespace Coditect.Server.Licensing.Admin;

/// <summary>Validation of licence fields, shared by create and update. Field names are the wire names.</summary>
internal static partial class LicenseInput
{
    internal const int MaxEntitlements = 100;
    internal const int MaxMetadataBytes = 16 * 1024;
    internal const string EntitlementPattern = "^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$";

    [GeneratedRegex(EntitlementPattern)]
    private static partial Regex EntitlementName();

    public static int Seats(Validator errors, int? seats)
    {
        if (seats is not { } value)
        {
            errors.Add("seats_total", "is required.");
            return 0;
        }

        if (value is < 1 or > License.MaxSeats)
        {
            errors.Add("seats_total", $"must be from 1 to {License.MaxSeats:N0}.");
        }

        return value;
    }

    public static LicenseType Type(Validator errors, string? type) => type switch
    {
        null or Contracts.Licensing.LicenseTypes.Floating => LicenseType.Floating,
        Contracts.Licensing.LicenseTypes.NodeLocked => LicenseType.NodeLocked,
        _ => Invalid(errors),
    };

    private static LicenseType Invalid(Validator errors)
    {
        errors.Add("type", "must be floating or node_locked.");
        return LicenseType.Floating;
    }

    /// <summary>The longest a seat may be borrowed for offline work: a year.</summary>
    internal const int MaxBorrowHours = 24 * 366;

    /// <summary><c>borrow_max_hours</c>: 0 (borrowing off) to <see cref="MaxBorrowHours"/>; null (sent as null) is 0.</summary>
    public static int BorrowMaxHours(Validator errors, int? hours)
    {
        var value = hours ?? 0;
        if (value is < 0 or > MaxBorrowHours)
        {
            errors.Add("borrow_max_hours", $"must be from 0 (off) to {MaxBorrowHours}.");
        }

        return value;
    }

    public static DateTime? FutureExpiry(Validator errors, DateTime? expiresAt, DateTime now, string field = "expires_at")
    {
        if (expiresAt is not { } value)
        {
            return null;
        }

        var utc = value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : DateTime.SpecifyKind(value, DateTimeKind.Utc);
        if (utc <= now)
        {
            errors.Add(field, "must be in the future.");
        }

        return utc;
    }

    public static string Entitlements(Validator errors, IReadOnlyList<string>? entitlements)
    {
        var list = entitlements ?? [];
        if (list.Count > MaxEntitlements)
        {
            errors.Add("entitlements", $"must have at most {MaxEntitlements} items.");
        }
        else if (list.Any(e => e is null || !EntitlementName().IsMatch(e)))
        {
            errors.Add("entitlements", "items must be 1 to 64 letters, digits, '.', '_', ':' or '-'.");
        }

        return JsonSerializer.Serialize(list.Where(e => e is not null).Distinct(StringComparer.Ordinal).ToList());
    }

    public static string Metadata(Validator errors, Dictionary<string, JsonElement>? metadata)
    {
        var json = JsonSerializer.Serialize(metadata ?? []);
        if (json.Length > MaxMetadataBytes)
        {
            errors.Add("metadata", $"must be at most {MaxMetadataBytes} bytes of JSON.");
        }

        return json;
    }
}

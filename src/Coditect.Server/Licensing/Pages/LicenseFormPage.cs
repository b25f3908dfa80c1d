using System.Globalization;
using System.Text.Json;
using Coditect.Contracts.Licensing;
using Coditect.Server.Licensing.Admin;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.Licensing.Pages;

/// <summary>
/// The licence form of the new and edit pages (<c>_LicenseFields.cshtml</c>): the fields under their wire names, read
/// from text as a browser sends it. What the text cannot say (a seat count that is not a number, metadata that is not a
/// JSON object) is a field error here; every other rule is <see cref="LicenseAdmin"/>'s.
/// </summary>
public abstract class LicenseFormPage : ConsolePage
{
    /// <summary>How <c>expires_at</c> reads in an <c>&lt;input type="datetime-local"&gt;</c>: minutes, UTC.</summary>
    public const string ExpiryFormat = "yyyy-MM-dd'T'HH:mm";

    private static readonly string[] ExpiryFormats = [ExpiryFormat, "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd"];
    private static readonly char[] EntitlementSeparators = [',', ' ', '\t', '\r', '\n'];
    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    [BindProperty(Name = "name")]
    public string? Name { get; set; }

    [BindProperty(Name = "seats_total")]
    public string? SeatsTotal { get; set; }

    [BindProperty(Name = "expires_at")]
    public string? ExpiresAt { get; set; }

    [BindProperty(Name = "entitlements")]
    public string? Entitlements { get; set; }

    [BindProperty(Name = "metadata")]
    public string? Metadata { get; set; }

    /// <summary><c>floating</c> or <c>node_locked</c>.</summary>
    [BindProperty(Name = "type")]
    public string? Type { get; set; }

    [BindProperty(Name = "borrow_max_hours")]
    public string? BorrowMaxHours { get; set; }

    /// <summary>The form's submit button.</summary>
    public abstract string SubmitLabel { get; }

    /// <summary>Fills the form with the licence as it is.</summary>
    protected void Fill(LicenseResponse license)
    {
        Name = license.Name;
        SeatsTotal = license.SeatsTotal.ToString(CultureInfo.InvariantCulture);
        ExpiresAt = FormatExpiry(license.ExpiresAt);
        Entitlements = string.Join(", ", license.Entitlements);
        Metadata = license.Metadata.Count == 0 ? "" : JsonSerializer.Serialize(license.Metadata, IndentedJson);
        Type = license.Type;
        BorrowMaxHours = license.BorrowMaxHours.ToString(CultureInfo.InvariantCulture);
    }

    public static string FormatExpiry(DateTime? expiresAt) =>
        expiresAt is { } value ? value.ToString(ExpiryFormat, CultureInfo.InvariantCulture) : "";

    protected CreateLicenseRequest ReadCreate(Validator errors) =>
        new(Name, ReadSeats(errors), ReadExpiry(errors, ExpiresAt), ReadEntitlements(), ReadMetadata(errors), string.IsNullOrEmpty(Type) ? null : Type, ReadBorrowMaxHours(errors));

    /// <summary>
    /// Every field of the form, but the expiry only when it was changed: the form shows it to the minute, so sending it
    /// back unchanged would move it, and an expired licence could not be edited without renewing it.
    /// </summary>
    protected LicenseUpdate ReadUpdate(LicenseResponse current, Validator errors) => new()
    {
        Name = new(Name),
        SeatsTotal = new(ReadSeats(errors)),
        ExpiresAt = (ExpiresAt ?? "").Trim() == FormatExpiry(current.ExpiresAt) ? null : new(ReadExpiry(errors, ExpiresAt)),
        Entitlements = new(ReadEntitlements()),
        Metadata = new(ReadMetadata(errors)),
        Type = string.IsNullOrEmpty(Type) ? null : new(Type),
        BorrowMaxHours = new(ReadBorrowMaxHours(errors)),
    };

    /// <summary>Hours a seat may be borrowed for offline work; empty is 0 (off).</summary>
    private int? ReadBorrowMaxHours(Validator errors)
    {
        if (string.IsNullOrWhiteSpace(BorrowMaxHours))
        {
            return 0;
        }

        if (!int.TryParse(BorrowMaxHours.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var hours))
        {
            errors.Add("borrow_max_hours", "must be a whole number of hours (0: off).");
            return 0;
        }

        return hours;
    }

    /// <summary>A time from a <c>datetime-local</c> or <c>date</c> input, read as UTC; null when empty.</summary>
    public static DateTime? ReadExpiry(Validator errors, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (!DateTime.TryParseExact(text.Trim(), ExpiryFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var value))
        {
            errors.Add("expires_at", "must be a date and time (UTC), e.g. 2027-01-31T00:00.");
            return null;
        }

        return DateTime.SpecifyKind(value, DateTimeKind.Utc);
    }

    private int? ReadSeats(Validator errors)
    {
        if (string.IsNullOrWhiteSpace(SeatsTotal))
        {
            return null; // the use case says it is required
        }

        if (!int.TryParse(SeatsTotal.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seats))
        {
            errors.Add("seats_total", $"must be a whole number from 1 to {License.MaxSeats:N0}.");
            return null;
        }

        return seats;
    }

    /// <summary>Names separated by commas, spaces or lines.</summary>
    private List<string> ReadEntitlements() =>
        [.. (Entitlements ?? "").Split(EntitlementSeparators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>
    /// A JSON object, or nothing for none. Its text obeys the API's rules for a JSON body (<see cref="WireText"/>): a
    /// member name is a short field, a string value long text.
    /// </summary>
    private Dictionary<string, JsonElement>? ReadMetadata(Validator errors)
    {
        if (string.IsNullOrWhiteSpace(Metadata))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(Metadata);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add("metadata", "must be a JSON object, e.g. {\"customer\": \"ACME-42\"}.");
                return null;
            }

            if (TextProblem(document.RootElement) is { } problem)
            {
                errors.Add("metadata", problem);
                return null;
            }

            return document.RootElement.Deserialize<Dictionary<string, JsonElement>>();
        }
        catch (JsonException)
        {
            errors.Add("metadata", "must be a JSON object, e.g. {\"customer\": \"ACME-42\"}.");
            return null;
        }
        catch (InvalidOperationException)
        {
            errors.Add("metadata", "is not valid Unicode text (an unpaired surrogate).");
            return null;
        }
    }

    private static string? TextProblem(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var member in element.EnumerateObject())
                {
                    if (WireText.Problem(member.Name) is not null)
                    {
                        return "has a member name with control characters or invalid Unicode.";
                    }

                    if (!names.Add(member.Name))
                    {
                        return $"has the member \"{member.Name}\" more than once.";
                    }

                    if (TextProblem(member.Value) is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.Array:
                return element.EnumerateArray().Select(TextProblem).FirstOrDefault(p => p is not null);
            case JsonValueKind.String:
                return WireText.Problem(element.GetString(), longText: true);
            default:
                return null;
        }
    }
}

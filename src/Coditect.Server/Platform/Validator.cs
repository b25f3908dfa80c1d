using System.Net.Mail;

namespace Coditect.Server.Platform;

/// <summary>Collects field errors for one request. Field names are the wire (snake_case) names.</summary>
public sealed class Validator
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public int Count => _errors.Count;
    public bool IsValid => _errors.Count == 0;
    public IEnumerable<string> Fields => _errors.Keys;

    public Validator Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
        return this;
    }

    public Dictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray());

    /// <summary>
    /// Requires a non-blank short string (no control characters, see <see cref="WireText"/>) of at most
    /// <paramref name="max"/> characters; returns it trimmed.
    /// </summary>
    public string Required(string field, string? value, int max = 200)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Add(field, "is required.");
            return "";
        }

        var trimmed = value.Trim();
        if (WireText.Problem(value) is { } problem)
        {
            Add(field, problem);
        }
        else if (trimmed.Length > max)
        {
            Add(field, $"must be at most {max} characters.");
        }

        return trimmed;
    }

    public string Email(string field, string? value)
    {
        var email = Required(field, value, 254);
        if (email.Length > 0 && !IsEmail(email))
        {
            Add(field, "is not a valid email address.");
        }

        return email;
    }

    public void Password(string field, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            Add(field, "is required.");
        }
        else if (value.Length < 10)
        {
            Add(field, "must be at least 10 characters.");
        }
        else if (value.Length > 200)
        {
            Add(field, "must be at most 200 characters.");
        }
        else if (value.Distinct().Count() < 5)
        {
            Add(field, "is too simple: use more different characters.");
        }
    }

    private static bool IsEmail(string value)
    {
        if (value.Contains(' ', StringComparison.Ordinal) || !value.Contains('@', StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            var address = new MailAddress(value);
            return address.Address == value && address.Host.Contains('.', StringComparison.Ordinal);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

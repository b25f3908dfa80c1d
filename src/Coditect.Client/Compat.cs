using System.Security.Cryptography;
using System.Text;

namespace Coditect.Client;

/// <summary>The few APIs that differ between netstandard2.0 and current .NET, in one place.</summary>
internal static class Compat
{
    public static string Sha256Hex(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
#if NET
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
#else
        using var sha = SHA256.Create();
        return BitConverter.ToString(sha.ComputeHash(bytes)).Replace("-", "").ToLowerInvariant();
#endif
    }

    public static Task<string> ReadTextAsync(HttpContent content, CancellationToken ct)
    {
#if NET
        return content.ReadAsStringAsync(ct);
#else
        ct.ThrowIfCancellationRequested();
        return content.ReadAsStringAsync();
#endif
    }

    public static bool Has(string text, string part) =>
#if NET
        text.Contains(part, StringComparison.Ordinal);
#else
        text.IndexOf(part, StringComparison.Ordinal) >= 0;
#endif
}

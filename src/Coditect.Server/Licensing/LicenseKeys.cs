using System.Security.Cryptography;
using System.Text;

namespace Coditect.Server.Licensing;

/// <summary>
/// Licence keys: 25 characters of Crockford base32 (125 random bits) in five groups, e.g.
/// <c>K3M9Q-7XZAB-0PQRS-TVWXY-4H2JC</c>. The alphabet has no I, L, O or U, so a key read aloud or typed from
/// paper survives: input is upper-cased, separators dropped, and I/L read as 1, O as 0. Only the SHA-256 of the
/// normalized key is stored (256-bit-strong input, so a fast hash is enough and lookups stay indexable).
/// </summary>
public static class LicenseKeys
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private const int Length = 25;
    private const int MaxInputLength = 64;

    public static string New()
    {
        Span<byte> random = stackalloc byte[Length];
        RandomNumberGenerator.Fill(random);
        var key = new StringBuilder(Length + 4);
        for (var i = 0; i < Length; i++)
        {
            if (i > 0 && i % 5 == 0)
            {
                key.Append('-');
            }

            key.Append(Alphabet[random[i] & 31]); // 256 is a multiple of 32: no modulo bias
        }

        return key.ToString();
    }

    public static string Normalize(string key)
    {
        var normalized = new StringBuilder(Length);
        foreach (var c in key.Length > MaxInputLength ? key[..MaxInputLength] : key)
        {
            switch (char.ToUpperInvariant(c))
            {
                case '-' or ' ':
                    break;
                case 'I' or 'L':
                    normalized.Append('1');
                    break;
                case 'O':
                    normalized.Append('0');
                    break;
                case var upper:
                    normalized.Append(upper);
                    break;
            }
        }

        return normalized.ToString();
    }

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Normalize(key))));

    /// <summary>First group and last four characters: enough to tell keys apart, useless to an attacker.</summary>
    public static string Preview(string key) => $"{key[..5]}-…-{key[^4..]}";
}

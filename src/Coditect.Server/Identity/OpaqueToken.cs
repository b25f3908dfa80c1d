using System.Security.Cryptography;
using System.Text;

namespace Coditect.Server.Identity;

/// <summary>
/// High-entropy bearer secrets (refresh tokens, invitation tokens, API keys): 256 random bits, base64url, with a
/// short prefix that says what the secret is. Only their SHA-256 is stored; with 256 bits of entropy a fast hash is
/// enough, and lookups by hash stay indexable.
/// </summary>
public static class OpaqueToken
{
    public static string New(string prefix) => prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

using System.Security.Cryptography;
using System.Text;

namespace Coditect.Server.Notifications.Webhooks;

/// <summary>
/// The Standard Webhooks signature (standardwebhooks.com): a secret is <c>whsec_</c> + base64 of 32 random bytes; the
/// signature of a message is <c>v1,</c> + base64 of HMAC-SHA256, keyed with those bytes, over
/// <c>{webhook-id}.{webhook-timestamp}.{body}</c>. While a rotated-out secret still signs, the
/// <c>webhook-signature</c> header carries both signatures, separated by a space. docs/webhooks.md shows a receiver.
/// </summary>
public static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";

    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The key bytes of a <c>whsec_</c> secret.</summary>
    public static byte[] KeyOf(string secret) =>
        Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);

    /// <summary><c>v1,{base64 HMAC-SHA256}</c> of <c>{id}.{timestamp}.{body}</c>.</summary>
    public static string Sign(ReadOnlySpan<byte> key, string id, long timestamp, string body)
    {
        var content = Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}");
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }

    /// <summary>Whether one of the space-separated signatures in <paramref name="header"/> is <paramref name="secret"/>'s (constant time).</summary>
    public static bool Verify(string secret, string id, long timestamp, string body, string header)
    {
        var expected = Encoding.ASCII.GetBytes(Sign(KeyOf(secret), id, timestamp, body));
        return header.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Any(candidate => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(candidate), expected));
    }
}

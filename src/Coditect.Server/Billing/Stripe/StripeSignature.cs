using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Coditect.Server.Billing.Stripe;

/// <summary>
/// Stripe's webhook signature (https://docs.stripe.com/webhooks#verify-manually): the <c>Stripe-Signature</c> header
/// is <c>t={unix seconds},v1={hex HMAC-SHA256 of "{t}.{raw body}" keyed with the endpoint's secret}</c>, with more
/// <c>v1</c> entries while a secret is being rolled. A signature is good when one <c>v1</c> matches and <c>t</c> is
/// within the tolerance of now, either way (a replay of an old, captured request fails).
/// </summary>
public static class StripeSignature
{
    public static bool Verify(string payload, string? header, string secret, DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrEmpty(header) || string.IsNullOrEmpty(secret))
        {
            return false;
        }

        long? timestamp = null;
        var signatures = new List<string>();
        foreach (var part in header.Split(','))
        {
            var pair = part.Split('=', 2);
            if (pair.Length != 2)
            {
                continue;
            }

            var (key, value) = (pair[0].Trim(), pair[1].Trim());
            if (key == "t" && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var t))
            {
                timestamp = t;
            }
            else if (key == "v1")
            {
                signatures.Add(value);
            }
        }

        if (timestamp is not { } seconds || signatures.Count == 0
            || Math.Abs(now.ToUnixTimeSeconds() - seconds) > (long)tolerance.TotalSeconds)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Compute(payload, secret, seconds));
        return signatures.Any(s => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s), expected));
    }

    /// <summary>The header Stripe would send for <paramref name="payload"/> at <paramref name="timestamp"/> (tests sign with it).</summary>
    public static string Sign(string payload, string secret, long timestamp) =>
        $"t={timestamp.ToString(CultureInfo.InvariantCulture)},v1={Compute(payload, secret, timestamp)}";

    private static string Compute(string payload, string secret, long timestamp) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret),
            Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + "." + payload)));
}

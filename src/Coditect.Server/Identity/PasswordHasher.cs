using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Identity;

/// <summary>
/// PBKDF2-HMAC-SHA256 with a 16-byte random salt (no Argon2 package is available here; see docs/adr). The stored
/// form names its iteration count, <c>pbkdf2-sha256$600000$salt$hash</c>, so the count can rise without breaking
/// existing hashes.
/// </summary>
public sealed class PasswordHasher(IOptions<IdentityOptions> options)
{
    private const string Scheme = "pbkdf2-sha256";
    private readonly int _iterations = options.Value.PasswordHashIterations;
    private readonly Lazy<string> _dummy = new(() => Hash("not-a-password", options.Value.PasswordHashIterations));

    public string Hash(string password) => Hash(password, _iterations);

    public bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var iterations))
        {
            return false;
        }

        var salt = Convert.FromBase64String(parts[2]);
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>Spends the same time as a real check, so an unknown email answers no faster than a wrong password.</summary>
    public void VerifyAgainstDummy(string password) => Verify(password, _dummy.Value);

    private static string Hash(string password, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }
}

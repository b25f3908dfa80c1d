using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Identity;

/// <summary>
/// Argon2id for new hashes, stored in the PHC string format that names the algorithm and its parameters,
/// <c>$argon2id$v=19$m=19456,t=2,p=1$salt$hash</c>, so the parameters can change without breaking stored hashes.
/// Hashes from before (<c>pbkdf2-sha256$600000$salt$hash</c>) still verify and report <see cref="PasswordCheck.NeedsRehash"/>,
/// as does an Argon2id hash with other parameters than the configured ones; sign-in then stores a new hash
/// (ADR 0004). At most <c>Identity:PasswordHashConcurrency</c> hashes run at once on a node; the others wait.
/// </summary>
public sealed class PasswordHasher : IDisposable
{
    private const string Pbkdf2Scheme = "pbkdf2-sha256";
    private const string Argon2Scheme = "argon2id";
    private const int Argon2Version = 0x13; // 19, the only version the package implements
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    private readonly Argon2Parameters _parameters;
    private readonly SemaphoreSlim _turns;
    private readonly Lazy<string> _dummy;

    public PasswordHasher(IOptions<IdentityOptions> options)
    {
        var settings = options.Value;
        _parameters = new Argon2Parameters(settings.Argon2MemoryKiB, settings.Argon2Iterations, settings.Argon2Parallelism);
        _turns = new SemaphoreSlim(settings.PasswordHashConcurrency, settings.PasswordHashConcurrency);
        _dummy = new Lazy<string>(() => Format(_parameters, RandomNumberGenerator.GetBytes(SaltBytes), new byte[HashBytes]));
    }

    public async Task<string> HashAsync(string password, CancellationToken ct)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = await InTurnAsync(() => Argon2Async(password, salt, _parameters, HashBytes), ct);
        return Format(_parameters, salt, hash);
    }

    public async Task<PasswordCheck> VerifyAsync(string password, string stored, CancellationToken ct)
    {
        if (TryParseArgon2(stored, out var parameters, out var salt, out var expected))
        {
            var actual = await InTurnAsync(() => Argon2Async(password, salt, parameters, expected.Length), ct);
            var valid = CryptographicOperations.FixedTimeEquals(actual, expected);
            return new PasswordCheck(valid, valid && parameters != _parameters);
        }

        if (TryParsePbkdf2(stored, out var iterations, out salt, out expected))
        {
            var actual = await InTurnAsync(
                () => Task.FromResult(Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length)),
                ct);
            var valid = CryptographicOperations.FixedTimeEquals(actual, expected);
            return new PasswordCheck(valid, valid);
        }

        // No hash at all (an account made by an OpenID Connect provider stores a marker): spend a real check's time,
        // so the answer does not tell such accounts apart.
        await VerifyAgainstDummyAsync(password, ct);
        return new PasswordCheck(false, false);
    }

    /// <summary>Spends the same time as a real check, so an unknown email answers no faster than a wrong password.</summary>
    public Task VerifyAgainstDummyAsync(string password, CancellationToken ct) => VerifyAsync(password, _dummy.Value, ct);

    public void Dispose() => _turns.Dispose();

    internal async Task<byte[]> InTurnAsync(Func<Task<byte[]>> work, CancellationToken ct)
    {
        await _turns.WaitAsync(ct);
        try
        {
            return await work();
        }
        finally
        {
            _turns.Release();
        }
    }

    private static async Task<byte[]> Argon2Async(string password, byte[] salt, Argon2Parameters parameters, int length)
    {
        using var argon2 = new Argon2id(Encoding.UTF8.GetBytes(password))
        {
            Salt = salt,
            MemorySize = parameters.MemoryKiB,
            Iterations = parameters.Iterations,
            DegreeOfParallelism = parameters.Parallelism,
        };
        return await argon2.GetBytesAsync(length);
    }

    private static string Format(Argon2Parameters p, byte[] salt, byte[] hash) => string.Create(CultureInfo.InvariantCulture,
        $"${Argon2Scheme}$v={Argon2Version}$m={p.MemoryKiB},t={p.Iterations},p={p.Parallelism}${ToPhcBase64(salt)}${ToPhcBase64(hash)}");

    /// <summary>Reads <c>$argon2id$v=19$m=M,t=T,p=P$salt$hash</c> (base64 without padding), as the reference implementation writes it.</summary>
    private static bool TryParseArgon2(string stored, out Argon2Parameters parameters, out byte[] salt, out byte[] hash)
    {
        parameters = default;
        salt = hash = [];
        var parts = stored.Split('$');
        if (parts.Length != 6 || parts[0].Length != 0 || parts[1] != Argon2Scheme
            || parts[2] != string.Create(CultureInfo.InvariantCulture, $"v={Argon2Version}"))
        {
            return false;
        }

        var settings = parts[3].Split(',');
        if (settings.Length != 3
            || !TryReadSetting(settings[0], "m=", out var memory)
            || !TryReadSetting(settings[1], "t=", out var iterations)
            || !TryReadSetting(settings[2], "p=", out var parallelism)
            || parallelism is < 1 or > 255 || iterations is < 1 or > 1_000 || memory < 8 * parallelism || memory > 4_194_304)
        {
            return false;
        }

        parameters = new Argon2Parameters(memory, iterations, parallelism);
        return TryFromPhcBase64(parts[4], out salt) && salt.Length >= 8 && TryFromPhcBase64(parts[5], out hash) && hash.Length >= 16;
    }

    private static bool TryParsePbkdf2(string stored, out int iterations, out byte[] salt, out byte[] hash)
    {
        iterations = 0;
        salt = hash = [];
        var parts = stored.Split('$');
        return parts.Length == 4 && parts[0] == Pbkdf2Scheme
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out iterations) && iterations > 0
            && TryFromBase64(parts[2], out salt) && TryFromBase64(parts[3], out hash) && hash.Length > 0;
    }

    private static bool TryReadSetting(string text, string name, out int value)
    {
        value = 0;
        return text.StartsWith(name, StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(name.Length), NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static string ToPhcBase64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static bool TryFromPhcBase64(string text, out byte[] bytes) =>
        TryFromBase64(text.Length % 4 == 0 ? text : text + new string('=', 4 - (text.Length % 4)), out bytes);

    private static bool TryFromBase64(string text, out byte[] bytes)
    {
        var buffer = new byte[text.Length * 3 / 4];
        if (Convert.TryFromBase64String(text, buffer, out var written))
        {
            bytes = buffer[..written];
            return true;
        }

        bytes = [];
        return false;
    }

    private readonly record struct Argon2Parameters(int MemoryKiB, int Iterations, int Parallelism);
}

/// <summary>The outcome of a password check: whether it matched, and whether the stored hash should be replaced by a current one.</summary>
public readonly record struct PasswordCheck(bool Valid, bool NeedsRehash);

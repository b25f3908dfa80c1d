using System.Security.Cryptography;
using Coditect.Server.Platform;
using Coditect.Server.Signing.Google;

namespace Coditect.Server.Signing;

/// <summary>
/// The key that encrypts the server's own keys at rest (AES-256-GCM). From <c>Secrets:MasterKey</c> (base64 of 32
/// bytes) when set — required for several nodes; or envelope-encrypted by a Cloud KMS key (<c>Secrets:MasterKeyKms</c>,
/// decrypted once at start: <see cref="CloudKms"/>); otherwise generated once into <c>data/master.key</c> beside the
/// content root, readable by the server's user only. The key itself is never logged.
/// </summary>
public sealed class MasterKey
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    private MasterKey(byte[] key, string source)
    {
        _key = key;
        Source = source;
    }

    public string Source { get; }

    public static MasterKey Load(IConfiguration configuration, IWebHostEnvironment environment, GoogleCloud google)
    {
        var configured = configuration["Secrets:MasterKey"];
        var kmsKey = configuration["Secrets:MasterKeyKms"];
        if (!string.IsNullOrWhiteSpace(kmsKey))
        {
            return string.IsNullOrWhiteSpace(configured)
                ? new MasterKey(CloudKms.DecryptMasterKey(configuration, google), $"Cloud KMS key {kmsKey.Trim()}")
                : throw new StartupException("Set Secrets:MasterKey or Secrets:MasterKeyKms (with its ciphertext), not both.");
        }

        if (!string.IsNullOrWhiteSpace(configured))
        {
            byte[] key;
            try
            {
                key = Convert.FromBase64String(configured);
            }
            catch (FormatException)
            {
                throw new StartupException("Secrets:MasterKey must be base64 of 32 random bytes (openssl rand -base64 32).");
            }

            return key.Length == 32
                ? new MasterKey(key, "Secrets:MasterKey")
                : throw new StartupException("Secrets:MasterKey must be base64 of exactly 32 bytes (openssl rand -base64 32).");
        }

        var path = configuration["Secrets:MasterKeyFile"] ?? Path.Combine(environment.ContentRootPath, "data", "master.key");
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var generated = RandomNumberGenerator.GetBytes(32);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            try
            {
                using var file = new FileStream(path, options);
                file.Write(Convert.ToBase64String(generated).Select(c => (byte)c).ToArray());
            }
            catch (IOException) when (File.Exists(path))
            {
                // another process created it first; read theirs
            }
        }

        byte[] stored;
        try
        {
            stored = Convert.FromBase64String(File.ReadAllText(path).Trim());
        }
        catch (FormatException)
        {
            stored = [];
        }

        return stored.Length == 32
            ? new MasterKey(stored, $"file {Path.GetFullPath(path)}")
            : throw new StartupException(
                $"The master key file {Path.GetFullPath(path)} must hold base64 of 32 bytes (Secrets:MasterKeyFile). Restore it from backup.");
    }

    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, string purpose)
    {
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), Associated(purpose));
        return output;
    }

    public byte[] Decrypt(ReadOnlySpan<byte> ciphertext, string purpose)
    {
        var plaintext = new byte[ciphertext.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        try
        {
            aes.Decrypt(ciphertext[..NonceSize], ciphertext[(NonceSize + TagSize)..], ciphertext.Slice(NonceSize, TagSize), plaintext, Associated(purpose));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new StartupException(
                "A stored server key cannot be decrypted: this node's master key differs from the one that encrypted it. " +
                "Give every node the same Secrets:MasterKey.");
        }

        return plaintext;
    }

    private static byte[] Associated(string purpose) => System.Text.Encoding.UTF8.GetBytes("coditect:" + purpose);
}

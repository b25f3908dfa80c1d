using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Coditect.Server.Platform;

namespace Coditect.Server.Signing.Google;

/// <summary>
/// The master key envelope-encrypted by a Cloud KMS key (<c>Secrets:MasterKeyKms</c>): the ciphertext
/// (<c>Secrets:MasterKeyCiphertext</c>, base64, or the file <c>Secrets:MasterKeyCiphertextFile</c> as
/// <c>gcloud kms encrypt</c> writes it) is decrypted once at start through the KMS REST API; the plaintext, 32 bytes
/// or their base64, is the master key. Only the decryption is remote: everything the master key then protects is
/// decrypted locally, and signing never calls KMS (a remote call per heartbeat would cost more than the heartbeat).
/// </summary>
public static partial class CloudKms
{
    public static byte[] DecryptMasterKey(IConfiguration configuration, GoogleCloud google)
    {
        var keyName = configuration["Secrets:MasterKeyKms"]!.Trim();
        if (!KeyName().IsMatch(keyName))
        {
            throw new StartupException(
                "Secrets:MasterKeyKms must name a Cloud KMS key: projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY.");
        }

        var ciphertext = Ciphertext(configuration);
        var answer = google.CallAsync(HttpMethod.Post, $"{google.KmsUrl}/v1/{keyName}:decrypt",
                new { ciphertext = Convert.ToBase64String(ciphertext) },
                $"Cloud KMS, decrypting the master key (Secrets:MasterKeyCiphertext) with {keyName},", CancellationToken.None)
            .GetAwaiter().GetResult();
        byte[] plaintext;
        try
        {
            plaintext = Convert.FromBase64String(answer.GetProperty("plaintext").GetString()!);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new StartupException($"Cloud KMS answered the decryption with {keyName} without a plaintext.");
        }

        try
        {
            return AsMasterKey(plaintext) ?? throw new StartupException(
                $"The master key decrypted with {keyName} is not 32 bytes (nor base64 of 32 bytes): encrypt the key itself.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static byte[] Ciphertext(IConfiguration configuration)
    {
        var inline = configuration["Secrets:MasterKeyCiphertext"];
        if (!string.IsNullOrWhiteSpace(inline))
        {
            try
            {
                return Convert.FromBase64String(inline.Trim());
            }
            catch (FormatException)
            {
                throw new StartupException("Secrets:MasterKeyCiphertext must be base64 (base64 -w0 of the file gcloud kms encrypt wrote).");
            }
        }

        var path = configuration["Secrets:MasterKeyCiphertextFile"];
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new StartupException("Secrets:MasterKeyKms needs the encrypted key: Secrets:MasterKeyCiphertext (base64) or Secrets:MasterKeyCiphertextFile.");
        }

        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"Secrets:MasterKeyCiphertextFile {path} cannot be read: {e.Message}");
        }
    }

    /// <summary>32 raw bytes, or the base64 text of 32 bytes (a former <c>Secrets:MasterKey</c> value, encrypted as is).</summary>
    private static byte[]? AsMasterKey(byte[] plaintext)
    {
        if (plaintext.Length == 32)
        {
            return [.. plaintext];
        }

        var text = Encoding.ASCII.GetString(plaintext).Trim();
        var key = new byte[32];
        return Convert.TryFromBase64String(text, key, out var written) && written == 32 ? key : null;
    }

    [GeneratedRegex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$")]
    private static partial Regex KeyName();
}

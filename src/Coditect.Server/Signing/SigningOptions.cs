namespace Coditect.Server.Signing;

/// <summary><c>Signing:*</c> settings.</summary>
public sealed class SigningOptions
{
    public const string Section = "Signing";

    /// <summary>
    /// Algorithm for new lease-token keys (<see cref="TokenAlgorithm"/>): <c>ES256</c> (default; P-256, what every JWT
    /// library verifies), <c>EdDSA</c> (Ed25519, about a third cheaper to sign: 17 against 24 µs; verifiers need RFC 8037) or <c>RS256</c>
    /// (RSA-4096, the key size of the original KMS plan). Existing keys keep their algorithm.
    /// </summary>
    [System.ComponentModel.DataAnnotations.RegularExpression("^(ES256|EdDSA|RS256)$", ErrorMessage = "Signing:LeaseTokenAlgorithm must be ES256, EdDSA or RS256.")]
    public string LeaseTokenAlgorithm { get; set; } = "ES256";

    /// <summary>How often each node re-reads the key set, so a rotation done elsewhere reaches it.</summary>
    [System.ComponentModel.DataAnnotations.Range(5, 3600)]
    public int KeyRefreshSeconds { get; set; } = 60;
}

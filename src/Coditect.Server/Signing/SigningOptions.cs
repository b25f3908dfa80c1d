namespace Coditect.Server.Signing;

/// <summary><c>Signing:*</c> settings.</summary>
public sealed class SigningOptions
{
    public const string Section = "Signing";

    /// <summary>The lease-token key algorithms: the setting, the API's and the console's rotation, and the command accept these.</summary>
    public static readonly IReadOnlyList<string> Algorithms = ["ES256", "RS256"];

    /// <summary>
    /// Algorithm for new lease-token keys: <c>ES256</c> (default; P-256, fast to sign on the hot path) or <c>RS256</c>
    /// (RSA-4096, the key size of the original KMS plan). Existing keys keep their algorithm.
    /// </summary>
    [System.ComponentModel.DataAnnotations.RegularExpression("^(ES256|RS256)$", ErrorMessage = "Signing:LeaseTokenAlgorithm must be ES256 or RS256.")]
    public string LeaseTokenAlgorithm { get; set; } = "ES256";

    /// <summary>How often each node re-reads the key set, so a rotation done elsewhere reaches it.</summary>
    [System.ComponentModel.DataAnnotations.Range(5, 3600)]
    public int KeyRefreshSeconds { get; set; } = 60;
}

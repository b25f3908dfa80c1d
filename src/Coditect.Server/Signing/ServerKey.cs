using Coditect.Server.Data;

namespace Coditect.Server.Signing;

/// <summary>
/// A key the server generated for itself (token signing). Shared by every instance on the same database; the key
/// material is encrypted with the master key (see <see cref="MasterKey"/>) and never leaves the server.
/// </summary>
[NotAudited]
public sealed class ServerKey : Entity
{
    /// <summary>What the key is for, e.g. <c>access-token</c>.</summary>
    public required string Purpose { get; set; }

    public required string Algorithm { get; set; }

    [NotAudited]
    public required byte[] EncryptedKey { get; set; }

    public DateTime? RetiredAt { get; set; }

    /// <summary>
    /// The organization whose statements a <c>lease-token</c> key signs; null for the platform's keys (the access-token key,
    /// and the lease-token keys from before migration 0023, published until what they signed has expired).
    /// </summary>
    public Guid? OrganizationId { get; set; }
}

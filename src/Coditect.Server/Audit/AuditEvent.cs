using Coditect.Server.Data;

namespace Coditect.Server.Audit;

/// <summary>
/// One recorded change to a tenant's object. Written in the same transaction as the change itself (see
/// <see cref="AuditRecorder"/>), so a committed change always has its audit row. Audit rows keep no foreign key to
/// the organization: they outlive its deletion.
/// </summary>
[NotAudited]
public sealed class AuditEvent : ITenantOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }

    /// <summary><c>user</c>, <c>api_key</c> or <c>system</c>.</summary>
    public required string ActorType { get; set; }

    public Guid? ActorId { get; set; }

    /// <summary>For example <c>membership.updated</c>.</summary>
    public required string Action { get; set; }

    public required string ObjectType { get; set; }
    public required string ObjectId { get; set; }

    /// <summary>JSON object: field name to <c>{"before": ..., "after": ...}</c>.</summary>
    public required string Changes { get; set; }

    public string? RequestId { get; set; }
    public DateTime OccurredAt { get; set; }
}

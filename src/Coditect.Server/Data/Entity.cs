namespace Coditect.Server.Data;

/// <summary>Base of every stored row: a time-ordered UUID key and creation/update stamps set by <see cref="CoditectDbContext"/>.</summary>
public abstract class Entity
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A row that belongs to one organization (tenant). Filtered by tenant in EF and by row-level security in PostgreSQL.</summary>
public interface ITenantOwned
{
    Guid TenantId { get; set; }
}

/// <summary>
/// Marks a property whose value never goes into the audit log (hashes, ciphertext), or an entity whose changes are
/// not audit events (high-volume rows, or rows recorded elsewhere: lease sessions have usage history plus explicit
/// audit events for admin actions). Every entity says <see cref="AuditedAttribute"/> or this; a test enforces it.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Class)]
public sealed class NotAuditedAttribute : Attribute;

/// <summary>
/// An entity whose every change is recorded in the audit trail, in the same transaction (opt-in). The events are named
/// <c>{object}.{verb}</c> after the type in snake case, or after <see cref="ObjectType"/> where the type's name would
/// not be the domain's (the <c>ProjectTask</c> class is a <c>task</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class AuditedAttribute(string? objectType = null) : Attribute
{
    public string? ObjectType { get; } = objectType;
}

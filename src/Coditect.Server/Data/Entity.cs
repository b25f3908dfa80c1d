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
/// recorded elsewhere (lease sessions: usage history, plus explicit audit events for admin actions).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Class)]
public sealed class NotAuditedAttribute : Attribute;

using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace Coditect.Server.Audit;

/// <summary>
/// Turns the change tracker's pending changes to tenant objects into <see cref="AuditEvent"/> rows, added to the
/// same <c>SaveChanges</c>, for entities marked <see cref="AuditedAttribute"/> (opt-in: a bulk import of a new kind of
/// row must not flood the trail by default). Properties marked <see cref="NotAuditedAttribute"/> never appear.
/// </summary>
public static class AuditRecorder
{
    private static readonly HashSet<string> Ignored = [nameof(Entity.Id), nameof(Entity.CreatedAt), nameof(Entity.UpdatedAt), nameof(ITenantOwned.TenantId)];

    internal static void Record(CoditectDbContext db, DateTime now)
    {
        if (db.AuditSuspended)
        {
            return; // a bulk operation writes its one summary event itself
        }

        var events = new List<AuditEvent>();
        foreach (var entry in db.ChangeTracker.Entries<Entity>())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified or EntityState.Deleted)
                || entry.Metadata.ClrType.GetCustomAttribute<AuditedAttribute>() is null)
            {
                continue;
            }

            var tenantId = entry.Entity switch
            {
                ITenantOwned owned => owned.TenantId,
                Organization organization => organization.Id,
                _ => Guid.Empty,
            };
            if (tenantId == Guid.Empty)
            {
                continue; // not a tenant's object (users, refresh tokens, server keys)
            }

            var changes = Changes(entry);
            if (entry.State == EntityState.Modified && changes.Count == 0)
            {
                continue; // only ignored fields moved, e.g. an API key's last-used stamp
            }

            var (actorType, actorId) = db.Tenant.Actor;
            events.Add(new AuditEvent
            {
                TenantId = tenantId,
                ActorType = actorType,
                ActorId = actorId,
                Action = $"{ObjectType(entry)}.{Verb(entry.State)}",
                ObjectType = ObjectType(entry),
                ObjectId = entry.Entity.Id.ToString(),
                Changes = changes.ToJsonString(),
                RequestId = db.Tenant.RequestId,
                OccurredAt = now,
            });
        }

        db.Set<AuditEvent>().AddRange(events);
    }

    /// <summary>Adds an event for an action that is not a plain row change (kicking a session, say).</summary>
    public static void Explicit(CoditectDbContext db, Guid tenantId, string action, string objectType, Guid objectId, JsonObject changes, DateTime now) =>
        Explicit(db, tenantId, action, objectType, objectId, changes, now, db.Tenant.Actor);

    /// <summary>The same, naming the actor: platform staff acting in an organization they need not belong to.</summary>
    public static void Explicit(
        CoditectDbContext db, Guid tenantId, string action, string objectType, Guid objectId, JsonObject changes, DateTime now, (string Type, Guid? Id) actor)
    {
        var (actorType, actorId) = actor;
        db.Set<AuditEvent>().Add(new AuditEvent
        {
            TenantId = tenantId,
            ActorType = actorType,
            ActorId = actorId,
            Action = action,
            ObjectType = objectType,
            ObjectId = objectId.ToString(),
            Changes = changes.ToJsonString(),
            RequestId = db.Tenant.RequestId,
            OccurredAt = now,
        });
    }

    private static JsonObject Changes(EntityEntry<Entity> entry)
    {
        var changes = new JsonObject();
        foreach (var property in entry.Properties)
        {
            var name = property.Metadata.Name;
            if (Ignored.Contains(name) || IsSecret(property.Metadata.PropertyInfo) || IsNoise(entry.Entity, name))
            {
                continue;
            }

            object? before = entry.State == EntityState.Added ? null : property.OriginalValue;
            object? after = entry.State == EntityState.Deleted ? null : property.CurrentValue;
            if (entry.State == EntityState.Modified && Equals(before, after))
            {
                continue;
            }

            changes[CoditectDbContext.ToSnakeCase(name)] = new JsonObject
            {
                ["before"] = ToNode(before),
                ["after"] = ToNode(after),
            };
        }

        return changes;
    }

    private static bool IsNoise(Entity entity, string property) =>
        entity is ApiKey && property == nameof(ApiKey.LastUsedAt);

    private static bool IsSecret(PropertyInfo? property) => property?.GetCustomAttribute<NotAuditedAttribute>() is not null;

    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        Role role => JsonValue.Create(role.ToWire()),
        Enum other => JsonValue.Create(CoditectDbContext.ToSnakeCase(other.ToString())),
        DateTime time => JsonValue.Create(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
        string s => JsonValue.Create(s),
        _ => JsonSerializer.SerializeToNode(value),
    };

    private static string ObjectType(EntityEntry entry) =>
        entry.Metadata.ClrType.GetCustomAttribute<AuditedAttribute>()?.ObjectType ?? CoditectDbContext.ToSnakeCase(entry.Metadata.ClrType.Name);

    private static string Verb(EntityState state) => state switch
    {
        EntityState.Added => "created",
        EntityState.Deleted => "deleted",
        _ => "updated",
    };
}

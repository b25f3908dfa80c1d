using System.Text.Json;
using System.Text.Json.Serialization;
using Coditect.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Platform.Outbox;

/// <summary>An event as subscribers see it: <see cref="Data"/> is the API's response shape of the object.</summary>
public sealed record OutboxMessage(long Id, Guid TenantId, long Seq, string Type, JsonElement Data, DateTime CreatedAt)
{
    internal static OutboxMessage From(OutboxEvent e)
    {
        using var document = JsonDocument.Parse(e.Data);
        return new(e.Id, e.TenantId, e.Seq, e.Type, document.RootElement.Clone(), e.CreatedAt);
    }

    /// <summary>The object's <c>id</c> member, which every event's data carries.</summary>
    public Guid ObjectId => Data.TryGetProperty("id", out var id) && id.TryGetGuid(out var value) ? value : Guid.Empty;
}

/// <summary>
/// The transactional outbox: a change and the events that announce it commit together or not at all. Raising takes
/// the organization's next number (<c>outbox_sequences</c>, a row lock held to commit, so numbers follow commit
/// order) and stores the event; after commit the node delivers it to its own every-node subscribers and signals the
/// others. Never on the outbox: acquire, heartbeat, release, lapse (the lease protocol's hot path).
/// </summary>
public static class Outbox
{
    internal static readonly JsonSerializerOptions EventJson = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = PlatformExtensions.WireNaming,
        Converters = { new JsonStringEnumConverter(PlatformExtensions.WireNaming) },
    };

    /// <summary>
    /// Raises <paramref name="type"/> (<c>{object}.{verb}</c>, e.g. <c>license.suspended</c>) for the current
    /// organization, in the current transaction: it is delivered if, and only if, that transaction commits.
    /// </summary>
    public static async Task RaiseAsync<T>(this CoditectDbContext db, string type, T data, CancellationToken ct)
    {
        var tenantId = db.Tenant.TenantId
            ?? throw new InvalidOperationException("An event belongs to an organization: enter one before raising it.");
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("An event is raised inside the transaction of the change it announces.");
        }

        var json = JsonSerializer.Serialize(data, EventJson);
        var now = db.UtcNow;
        var seq = (await db.Database.SqlQuery<long>($"""
            INSERT INTO outbox_sequences (tenant_id, next_seq, dispatched_seq, attempts) VALUES ({tenantId}, 1, 0, 0)
            ON CONFLICT (tenant_id) DO UPDATE SET next_seq = outbox_sequences.next_seq + 1
            RETURNING next_seq AS "Value"
            """).ToListAsync(ct)).Single();
        var id = (await db.Database.SqlQuery<long>($"""
            INSERT INTO outbox (tenant_id, seq, type, data, created_at) VALUES ({tenantId}, {seq}, {type}, {json}, {now})
            RETURNING id AS "Value"
            """).ToListAsync(ct)).Single();
        using var document = JsonDocument.Parse(json);
        db.RaisedEvents.Add(new OutboxMessage(id, tenantId, seq, type, document.RootElement.Clone(), now));
    }
}

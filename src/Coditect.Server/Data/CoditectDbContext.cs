using System.Text;
using Coditect.Server.Audit;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Coditect.Server.Data;

/// <summary>
/// The unit of work. Entity configurations live beside their features (<c>IEntityTypeConfiguration</c> classes in
/// this assembly); this class adds what every table shares: snake_case names, tenant filters, timestamps, the
/// tenant guard and the audit trail.
/// </summary>
public sealed class CoditectDbContext(
    DbContextOptions<CoditectDbContext> options,
    TenantContext tenant,
    TimeProvider clock) : DbContext(options)
{
    private static readonly ValueConverter<DateTime, DateTime> UtcConverter =
        new(v => v, v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

    private static readonly ValueConverter<DateTime?, DateTime?> NullableUtcConverter =
        new(v => v, v => v == null ? null : DateTime.SpecifyKind(v.Value, DateTimeKind.Utc));

    public TenantContext Tenant { get; } = tenant;

    /// <summary>
    /// The SQLite transaction <see cref="Tenancy.TenantScope"/> began DEFERRED for a read-only unit, while it is open:
    /// <see cref="ReadOnlyWriteGuard"/> refuses writes in it.
    /// </summary>
    internal System.Data.Common.DbTransaction? ReadOnlyTransaction { get; set; }

    /// <summary>Referenced by the global query filters; EF reads it per query, so each request sees its own tenant.</summary>
    internal Guid? CurrentTenantId => Tenant.TenantId;

    internal DateTime UtcNow => clock.GetUtcNow().UtcDateTime;

    /// <summary>
    /// While true, saves write no per-row audit events: a bulk operation (a markdown import of thousands of tasks, a
    /// status change of many) records one summary event itself instead (<c>AuditRecorder.Explicit</c>).
    /// </summary>
    internal bool AuditSuspended { get; set; }

    /// <summary>Events raised in the open transaction, handed to the outbox's after-commit delivery when it commits.</summary>
    internal List<Platform.Outbox.OutboxMessage> RaisedEvents { get; } = [];

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(CoditectDbContext).Assembly);

        foreach (var entityType in modelBuilder.Model.GetEntityTypes())
        {
            if (entityType.GetTableName() == entityType.ClrType.Name)
            {
                entityType.SetTableName(Pluralize(ToSnakeCase(entityType.ClrType.Name)));
            }
            foreach (var property in entityType.GetProperties())
            {
                property.SetColumnName(ToSnakeCase(property.Name));
            }

            if (typeof(ITenantOwned).IsAssignableFrom(entityType.ClrType))
            {
                TenantFilter.Apply(modelBuilder, entityType.ClrType, this);
            }
        }

        if (Database.IsSqlite())
        {
            // SQLite stores text and hands back DateTimeKind.Unspecified; every time here is UTC, and says so on the wire.
            foreach (var property in modelBuilder.Model.GetEntityTypes().SelectMany(e => e.GetProperties()))
            {
                if (property.ClrType == typeof(DateTime))
                {
                    property.SetValueConverter(UtcConverter);
                }
                else if (property.ClrType == typeof(DateTime?))
                {
                    property.SetValueConverter(NullableUtcConverter);
                }
            }
        }

        // Constraint names derive from table names, so they are set once every table has its final name.
        foreach (var entityType in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var key in entityType.GetKeys())
            {
                key.SetName(ToSnakeCase(key.GetName()!));
            }

            foreach (var foreignKey in entityType.GetForeignKeys())
            {
                foreignKey.SetConstraintName(ToSnakeCase(foreignKey.GetConstraintName()!));
            }

            foreach (var index in entityType.GetIndexes())
            {
                index.SetDatabaseName(ToSnakeCase(index.GetDatabaseName()!));
            }
        }
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess) =>
        throw new NotSupportedException("Use SaveChangesAsync.");

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        var now = UtcNow;
        foreach (var entry in ChangeTracker.Entries<Entity>())
        {
            if (entry.State == EntityState.Added)
            {
                entry.Entity.CreatedAt = now;
                entry.Entity.UpdatedAt = now;
            }
            else if (entry.State == EntityState.Modified)
            {
                entry.Entity.UpdatedAt = now;
            }
        }

        TenantFilter.GuardChanges(ChangeTracker, Tenant);
        AuditRecorder.Record(this, now);
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    private static string Pluralize(string name) => name switch
    {
        _ when name.EndsWith('y') && !"aeiou".Contains(name[^2], StringComparison.Ordinal) => name[..^1] + "ies",
        _ when name.EndsWith('s') || name.EndsWith('x') || name.EndsWith("ch", StringComparison.Ordinal) => name + "es",
        _ => name + "s",
    };

    internal static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1]))))
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}

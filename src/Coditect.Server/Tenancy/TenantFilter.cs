using System.Linq.Expressions;
using Coditect.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace Coditect.Server.Tenancy;

/// <summary>The application half of tenant isolation: a global query filter per tenant table and a guard on writes.</summary>
internal static class TenantFilter
{
    public static void Apply(ModelBuilder modelBuilder, Type entityType, CoditectDbContext context)
    {
        // e => e.TenantId == context.CurrentTenantId; EF turns the context member into a per-query parameter.
        var entity = Expression.Parameter(entityType, "e");
        var tenantId = Expression.Convert(Expression.Property(entity, nameof(ITenantOwned.TenantId)), typeof(Guid?));
        var current = Expression.Property(Expression.Constant(context), nameof(CoditectDbContext.CurrentTenantId));
        var filter = Expression.Lambda(Expression.Equal(tenantId, current), entity);
        modelBuilder.Entity(entityType).HasQueryFilter(filter);
    }

    /// <summary>
    /// Stamps new tenant rows with the current tenant and refuses any write to another tenant's row. A refusal here
    /// is a programming error, never a user error, so it throws.
    /// </summary>
    public static void GuardChanges(ChangeTracker changes, TenantContext tenant)
    {
        foreach (var entry in changes.Entries<ITenantOwned>())
        {
            if (entry.State is EntityState.Unchanged or EntityState.Detached)
            {
                continue;
            }

            if (entry.State == EntityState.Added && entry.Entity.TenantId == Guid.Empty && tenant.TenantId is { } current)
            {
                entry.Entity.TenantId = current;
            }

            if (tenant.IsSystem)
            {
                continue;
            }

            if (tenant.TenantId is null || entry.Entity.TenantId != tenant.TenantId)
            {
                throw new InvalidOperationException(
                    $"Refused to write a {entry.Metadata.ClrType.Name} outside the current tenant.");
            }
        }
    }
}

using Coditect.Server.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Coditect.Server.Organizations;

internal sealed class OrganizationConfiguration : IEntityTypeConfiguration<Organization>
{
    public void Configure(EntityTypeBuilder<Organization> organization)
    {
        organization.Property(o => o.Slug).HasMaxLength(63);
        organization.Property(o => o.Name).HasMaxLength(200);
        organization.HasIndex(o => o.Slug).IsUnique();
    }
}

internal sealed class MembershipConfiguration : IEntityTypeConfiguration<Membership>
{
    public void Configure(EntityTypeBuilder<Membership> membership)
    {
        membership.Property(m => m.Role).HasRoleConversion();
        membership.HasIndex(m => new { m.TenantId, m.UserId }).IsUnique();
        membership.HasIndex(m => m.UserId);
        membership.HasOne<Organization>().WithMany().HasForeignKey(m => m.TenantId).OnDelete(DeleteBehavior.Cascade);
        membership.HasOne<User>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class InvitationConfiguration : IEntityTypeConfiguration<Invitation>
{
    public void Configure(EntityTypeBuilder<Invitation> invitation)
    {
        invitation.Property(i => i.Email).HasMaxLength(254);
        invitation.Property(i => i.Role).HasRoleConversion();
        invitation.Property(i => i.TokenHash).HasMaxLength(64);
        invitation.HasIndex(i => i.TokenHash).IsUnique();
        invitation.HasIndex(i => new { i.TenantId, i.CreatedAt });
        invitation.HasOne<Organization>().WithMany().HasForeignKey(i => i.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> apiKey)
    {
        apiKey.Property(k => k.Name).HasMaxLength(100);
        apiKey.Property(k => k.Role).HasRoleConversion();
        apiKey.Property(k => k.Prefix).HasMaxLength(16);
        apiKey.Property(k => k.KeyHash).HasMaxLength(64);
        apiKey.HasIndex(k => k.KeyHash).IsUnique();
        apiKey.HasIndex(k => new { k.TenantId, k.CreatedAt });
        apiKey.HasOne<Organization>().WithMany().HasForeignKey(k => k.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal static class RoleConversion
{
    public static PropertyBuilder<Role> HasRoleConversion(this PropertyBuilder<Role> property) =>
        property.HasConversion(r => r.ToWire(), s => Enum.Parse<Role>(s, true)).HasMaxLength(16);
}

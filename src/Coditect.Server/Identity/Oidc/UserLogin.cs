using Coditect.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Coditect.Server.Identity.Oidc;

/// <summary>
/// A user's identity at an OpenID Connect provider (<see cref="Provider"/> is the configured name, <see cref="Subject"/>
/// the provider's <c>sub</c>): once linked, that identity signs in as the user whatever its e-mail becomes.
/// </summary>
[NotAudited] // a person's, not a tenant's: links and sign-ins are logged (OidcSignIn), as password sign-ins are not audited
public sealed class UserLogin : Entity
{
    public Guid UserId { get; set; }

    public required string Provider { get; set; }

    public required string Subject { get; set; }

    /// <summary>The address the provider gave when the link was made (for people reading the table).</summary>
    public required string Email { get; set; }

    public DateTime? LastSignInAt { get; set; }
}

internal sealed class UserLoginConfiguration : IEntityTypeConfiguration<UserLogin>
{
    public void Configure(EntityTypeBuilder<UserLogin> login)
    {
        login.Property(l => l.Provider).HasMaxLength(40);
        login.Property(l => l.Subject).HasMaxLength(255);
        login.Property(l => l.Email).HasMaxLength(254);
        login.HasIndex(l => new { l.Provider, l.Subject }).IsUnique();
        login.HasIndex(l => l.UserId);
        login.HasOne<User>().WithMany().HasForeignKey(l => l.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

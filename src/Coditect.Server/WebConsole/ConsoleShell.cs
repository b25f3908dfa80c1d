using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Organizations;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.WebConsole;

/// <summary>
/// What the console's frame shows around a page (scoped): the signed-in user, their organizations for the switcher,
/// the organization in scope with the caller's role, and whether they are staff. Loaded by
/// <see cref="ConsolePageFilter"/> inside the page's transaction, so the layout never touches the database.
/// </summary>
public sealed class ConsoleShell(CoditectDbContext db, TenantContext tenant, OrgScope scope)
{
    public sealed record OrganizationLink(Guid Id, string Slug, string Name, Role Role);

    public bool IsLoaded { get; private set; }
    public Guid? UserId => tenant.UserId;
    public string? UserName { get; private set; }
    public string? UserEmail { get; private set; }
    public bool IsStaff { get; private set; }
    public IReadOnlyList<OrganizationLink> Organizations { get; private set; } = [];

    /// <summary>The organization of <c>{org}</c>, once the permission check entered it.</summary>
    public Organization? Organization => scope.IsEntered ? scope.Organization : null;

    public Role? Role => scope.IsEntered ? scope.Role : null;

    /// <summary>What the caller's role allows here: pages show no button whose action would be refused.</summary>
    public bool Can(Permission permission) => scope.IsEntered && scope.Role.Can(permission);

    /// <summary>The console path of the organization in scope: <c>/orgs/{slug}</c> plus <paramref name="rest"/>.</summary>
    public string OrgPath(string rest = "") => $"/orgs/{Organization?.Slug}{rest}";

    public async Task LoadAsync(CancellationToken ct)
    {
        if (IsLoaded || tenant.UserId is not { } userId)
        {
            return;
        }

        var user = await db.Set<User>().AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new { u.Name, u.Email, u.IsStaff }).FirstOrDefaultAsync(ct);
        if (user is null)
        {
            return;
        }

        UserName = user.Name;
        UserEmail = user.Email;
        IsStaff = user.IsStaff;
        Organizations = await AuthEndpoints.MembershipsOf(db, userId)
            .Select(m => new OrganizationLink(m.Organization.Id, m.Organization.Slug, m.Organization.Name, m.Role))
            .ToListAsync(ct);
        IsLoaded = true;
    }
}

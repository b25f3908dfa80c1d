namespace Coditect.Server.Organizations;

/// <summary>A role within one organization, from most to least powerful.</summary>
public enum Role
{
    Owner,
    Admin,
    Member,
    Viewer,
}

/// <summary>Something a caller may do inside an organization.</summary>
public enum Permission
{
    ReadOrganization,
    UpdateOrganization,
    DeleteOrganization,
    ReadMembers,
    ManageMembers,
    ManageOwners,
    ManageApiKeys,
    ReadAudit,
    ReadLicenses,
    ManageLicenses,
    ManageWebhooks,

    /// <summary>Dev Context: read teams, projects, plans, tasks, repositories, commits and statistics.</summary>
    ReadWork,

    /// <summary>Dev Context: change them (teams, projects, plans, task lists, tasks, repositories, commit sync).</summary>
    ManageWork,

    /// <summary>Dev Context: delete a project with everything in it.</summary>
    DeleteProjects,

    /// <summary>Billing: read the plan, the quotas' use and the subscription.</summary>
    ReadBilling,

    /// <summary>Billing: start the trial, check out, open the payment portal, cancel.</summary>
    ManageBilling,

    /// <summary>Licensing: deactivate the machines of node-locked licences.</summary>
    ManageMachines,
}

/// <summary>
/// The one table of what each role may do. docs/api.md shows the same table; change both together.
/// </summary>
public static class Roles
{
    private static readonly Dictionary<Role, HashSet<Permission>> Grants = new()
    {
        [Role.Owner] = [.. Enum.GetValues<Permission>()],
        [Role.Admin] =
        [
            Permission.ReadOrganization, Permission.UpdateOrganization, Permission.ReadMembers, Permission.ManageMembers,
            Permission.ManageApiKeys, Permission.ReadAudit, Permission.ReadLicenses, Permission.ManageLicenses,
            Permission.ManageWebhooks,
            Permission.ReadWork, Permission.ManageWork, Permission.DeleteProjects,
            Permission.ReadBilling, Permission.ManageMachines,
        ],
        [Role.Member] = [Permission.ReadOrganization, Permission.ReadMembers, Permission.ReadLicenses, Permission.ReadWork, Permission.ManageWork],
        [Role.Viewer] = [Permission.ReadOrganization, Permission.ReadMembers, Permission.ReadLicenses, Permission.ReadWork],
    };

    public static bool Can(this Role role, Permission permission) => Grants[role].Contains(permission);

    /// <summary>Granting or taking away the owner role needs <see cref="Permission.ManageOwners"/>; other roles need <see cref="Permission.ManageMembers"/>.</summary>
    public static bool CanAssign(this Role actor, Role target) =>
        target == Role.Owner ? actor.Can(Permission.ManageOwners) : actor.Can(Permission.ManageMembers);

    public static string ToWire(this Role role) => role.ToString().ToLowerInvariant();

    public static bool TryParse(string? value, out Role role)
    {
        role = default;
        return value is not null
            && value.All(char.IsAsciiLetterLower)
            && Enum.TryParse(value, ignoreCase: true, out role)
            && Enum.IsDefined(role);
    }
}

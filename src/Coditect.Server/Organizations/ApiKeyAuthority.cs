namespace Coditect.Server.Organizations;

/// <summary>
/// Whose authority an API key carries: its creator's, capped by the creator's current role (docs/adr/0011). A key
/// works while the person who made it (or made the key that minted it) is still a member with at least the key's role.
/// </summary>
public static class ApiKeyAuthority
{
    /// <summary>
    /// True when a key of <paramref name="keyRole"/> still has authority; <paramref name="creatorRole"/> is the creator's
    /// current role in the key's organization, null when they are no longer a member (or the key has no recorded creator).
    /// </summary>
    public static bool Holds(Role keyRole, Role? creatorRole) =>
        creatorRole is { } role && keyRole >= role; // roles run from Owner (0) down to Viewer

    /// <summary>The role an authenticated API key acts with (its claim); null for a person.</summary>
    public static Role? RoleOf(System.Security.Claims.ClaimsPrincipal user) =>
        user.FindFirst(Identity.BearerAuthentication.RoleClaim)?.Value is { } role && Roles.TryParse(role, out var parsed) ? parsed : null;
}

using Coditect.Contracts.Common;
using Coditect.Contracts.Organizations;
using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Organizations;

/// <summary>
/// The API key use cases the API and the console share (scoped), in the organization the caller's permission check
/// entered: creating a key (shown once, never stronger than its creator) and revoking one. A key carries its
/// creator's authority (<see cref="ApiKeyAuthority"/>). The audit trail follows from the save (<c>api_key.created</c>,
/// and <c>api_key.updated</c> with <c>revoked_at</c>).
/// </summary>
public sealed class ApiKeys(CoditectDbContext db, OrgScope scope, TenantContext tenant, TimeProvider clock)
{
    /// <summary>Whether a caller with <paramref name="creator"/>'s role may make a key of <paramref name="key"/>'s: never a stronger one.</summary>
    public static bool MayCreate(Role creator, Role key) => creator.CanAssign(key) && key >= creator;

    /// <summary>The roles the caller may give a new key, strongest first.</summary>
    public IReadOnlyList<Role> CreatableRoles() => [.. Enum.GetValues<Role>().Where(r => MayCreate(scope.Role, r))];

    /// <summary>The organization's keys, revoked ones included, newest first.</summary>
    public IQueryable<ApiKey> List() => db.Set<ApiKey>().OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id);

    /// <summary>Creates a key named <paramref name="name"/> with <paramref name="role"/> (a wire name); the answer carries the key, once. Saves.</summary>
    public async Task<Outcome<ApiKeyResponse>> CreateAsync(string? name, string? role, CancellationToken ct)
    {
        var errors = new Validator();
        var keyName = errors.Required("name", name, 100);
        if (!Roles.TryParse(role, out var keyRole))
        {
            errors.Add("role", "must be one of owner, admin, member, viewer.");
        }

        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        if (!MayCreate(scope.Role, keyRole))
        {
            return Refusal.Forbidden("An API key cannot have a stronger role than its creator.");
        }

        var secret = OpaqueToken.New(BearerAuthentication.ApiKeyPrefix);
        var apiKey = new ApiKey
        {
            Name = keyName,
            Role = keyRole,
            Prefix = secret[..12],
            KeyHash = OpaqueToken.Hash(secret),
            // A key minted by a key carries the same person's authority, so removing that person stops both.
            CreatedByUserId = tenant.UserId ?? tenant.ApiKeyCreatorId,
        };
        db.Add(apiKey);
        await db.SaveChangesAsync(ct);
        await db.RaiseAsync(OrganizationEvents.ApiKeyCreated, apiKey.ToResponse(null), ct);
        return apiKey.ToResponse(secret);
    }

    /// <summary>Revokes the key: it stops working at once. Revoking a revoked key changes nothing. Saves. Null when done.</summary>
    public async Task<Refusal?> RevokeAsync(Guid id, CancellationToken ct)
    {
        var apiKey = await db.Set<ApiKey>().FirstOrDefaultAsync(k => k.Id == id, ct);
        if (apiKey is null)
        {
            return Refusal.NotFound(ProblemCodes.ApiKeyNotFound, "The API key");
        }

        if (apiKey.RevokedAt is not null)
        {
            return null;
        }

        apiKey.RevokedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        await db.RaiseAsync(OrganizationEvents.ApiKeyRevoked, apiKey.ToResponse(null), ct);
        return null;
    }
}

public static class ApiKeyResponses
{
    public static ApiKeyResponse ToResponse(this ApiKey k, string? key) =>
        new(k.Id, k.Name, k.Role.ToWire(), k.Prefix, k.CreatedAt, k.LastUsedAt, k.RevokedAt, key);
}

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
/// The member use cases the API and the console share (scoped), in the organization the caller's permission check
/// entered: changing a role and removing a member (or leaving). The rules live here: the owner role is granted and
/// taken away only with <see cref="Permission.ManageOwners"/>, anyone may leave, and an organization keeps at least
/// one owner. The audit trail follows from the save (<c>membership.updated</c>, <c>membership.deleted</c>).
/// </summary>
public sealed class Memberships(CoditectDbContext db, OrgScope scope, TenantContext tenant)
{
    public const string LastOwnerMessage = "An organization needs at least one owner: make another member owner first.";

    /// <summary>Whether the caller may change or remove a member who has <paramref name="role"/> (leaving aside themselves).</summary>
    public bool CanManage(Role role) => scope.Role.CanAssign(role);

    /// <summary>The roles the caller may give, strongest first.</summary>
    public IReadOnlyList<Role> AssignableRoles() => [.. Enum.GetValues<Role>().Where(r => scope.Role.CanAssign(r))];

    /// <summary>Gives the member <paramref name="role"/> (a wire name). Saves.</summary>
    public async Task<Outcome<MemberResponse>> ChangeRoleAsync(Guid userId, string? role, CancellationToken ct)
    {
        if (!Roles.TryParse(role, out var newRole))
        {
            return Refusal.Invalid("role", "must be one of owner, admin, member, viewer.");
        }

        var membership = await LockedMembershipAsync(userId, ct);
        if (membership is null)
        {
            return Refusal.NotFound(ProblemCodes.MemberNotFound, "The member");
        }

        if (!scope.Role.CanAssign(newRole) || !scope.Role.CanAssign(membership.Role))
        {
            return Refusal.Forbidden("Only an owner can grant or take away the owner role.");
        }

        if (membership.Role == Role.Owner && newRole != Role.Owner && await IsLastOwnerAsync(ct))
        {
            return LastOwner();
        }

        membership.Role = newRole;
        await db.SaveChangesAsync(ct);
        var user = await db.Set<User>().SingleAsync(u => u.Id == userId, ct);
        var response = membership.ToResponse(user);
        await db.RaiseAsync(OrganizationEvents.MembershipUpdated, response, ct);
        return response;
    }

    /// <summary>Removes the member; a person (not an API key) may always remove themselves. Saves. Null when done.</summary>
    public async Task<Refusal?> RemoveAsync(Guid userId, CancellationToken ct)
    {
        var membership = await LockedMembershipAsync(userId, ct);
        if (membership is null)
        {
            return Refusal.NotFound(ProblemCodes.MemberNotFound, "The member");
        }

        var leaving = tenant.ApiKeyId is null && tenant.UserId == userId;
        if (!leaving && !scope.Role.CanAssign(membership.Role))
        {
            return Refusal.Forbidden();
        }

        if (membership.Role == Role.Owner && await IsLastOwnerAsync(ct))
        {
            return LastOwner();
        }

        db.Remove(membership);
        await db.SaveChangesAsync(ct);
        var user = await db.Set<User>().SingleAsync(u => u.Id == userId, ct);
        await db.RaiseAsync(OrganizationEvents.MembershipDeleted, membership.ToResponse(user), ct);
        return null;
    }

    /// <summary>
    /// Reads the membership after locking the organization row, so two owners demoting each other at once are
    /// serialized and the last-owner rule holds (SQLite serializes writers already).
    /// </summary>
    private async Task<Membership?> LockedMembershipAsync(Guid userId, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync($"select 1 from organizations where id = {scope.Organization.Id} for update", ct);
        }

        return await db.Set<Membership>().FirstOrDefaultAsync(m => m.UserId == userId, ct);
    }

    private async Task<bool> IsLastOwnerAsync(CancellationToken ct) =>
        await db.Set<Membership>().CountAsync(m => m.Role == Role.Owner, ct) <= 1;

    private static Refusal LastOwner() => Refusal.Conflict(ProblemCodes.LastOwner, LastOwnerMessage);
}

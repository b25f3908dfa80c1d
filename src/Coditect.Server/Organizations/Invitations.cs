using Coditect.Contracts.Common;
using Coditect.Contracts.Organizations;
using Coditect.Server.Billing;
using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Notifications.Email;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Organizations;

/// <summary>
/// The invitation use cases the API and the console share (scoped): an admin invites an email with a role and gets a
/// single-use token, mailed to the invitee (and answered to the inviter once, to pass on by hand); the person with
/// that email accepts it, signed in or while signing up, and becomes a member. Creating and revoking act in the
/// organization the caller's permission check entered; finding and accepting start from the token, which names its
/// organization. The audit trail follows from the save (<c>invitation.created|updated|deleted</c>,
/// <c>membership.created</c>).
/// </summary>
public sealed class Invitations(
    CoditectDbContext db, OrgScope orgScope, TenantScope tenantScope, TenantContext tenant, Mailbox mailbox, IOptions<IdentityOptions> options,
    TimeProvider clock, Quotas quotas)
{
    private const string TokenPrefix = "cdi_";

    /// <summary>A pending invitation as its link shows it, before anyone accepts it.</summary>
    public sealed record Pending(Guid Id, Guid OrganizationId, string OrganizationName, string Email, Role Role, DateTime ExpiresAt);

    /// <summary>The organization an invitation made the caller a member of, with the role it gave.</summary>
    public sealed record Joined(Organization Organization, Role Role);

    /// <summary>The console path of an invitation's link (<c>App:PublicUrl</c> goes in front for the absolute one).</summary>
    public static string LinkPath(string token) => "/invitations/" + Uri.EscapeDataString(token);

    /// <summary>Invites <paramref name="email"/> with <paramref name="role"/> (a wire name); the answer carries the token, once. Saves.</summary>
    public async Task<Outcome<InvitationResponse>> CreateAsync(string? email, string? role, CancellationToken ct)
    {
        var errors = new Validator();
        var address = errors.Email("email", email);
        if (!Roles.TryParse(role, out var invitedRole))
        {
            errors.Add("role", "must be one of owner, admin, member, viewer.");
        }

        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        if (!orgScope.Role.CanAssign(invitedRole))
        {
            return Refusal.Forbidden("Only an owner can invite an owner.");
        }

        var normalized = User.Normalize(address);
        var alreadyMember = await db.Set<Membership>()
            .Join(db.Set<User>(), m => m.UserId, u => u.Id, (m, u) => u.NormalizedEmail)
            .AnyAsync(e => e == normalized, ct);
        if (alreadyMember)
        {
            return Refusal.Conflict(ProblemCodes.AlreadyMember, "That person is already a member.");
        }

        if (await quotas.EnsureRoomAsync(Quota.Members, 1, ct) is { } exceeded)
        {
            return exceeded; // members count pending invitations: each is a seat promised
        }

        var token = OpaqueToken.New(TokenPrefix);
        var invitation = new Invitation
        {
            Email = normalized,
            Role = invitedRole,
            TokenHash = OpaqueToken.Hash(token),
            InvitedByUserId = tenant.ApiKeyId is null ? tenant.UserId : null,
            ExpiresAt = clock.GetUtcNow().UtcDateTime.AddDays(options.Value.InvitationLifetimeDays),
        };
        db.Add(invitation);
        var inviter = tenant.UserId is { } inviterId && tenant.ApiKeyId is null
            ? await db.Set<User>().Where(u => u.Id == inviterId).Select(u => u.Name).FirstOrDefaultAsync(ct)
            : null;
        mailbox.Queue(MailKinds.Invitation, address, MailTemplates.Invitation(
            orgScope.Organization.Name, invitedRole.ToWire(), inviter ?? $"An administrator of {orgScope.Organization.Name}",
            mailbox.Link(LinkPath(token)), invitation.ExpiresAt));
        await db.SaveChangesAsync(ct);
        var response = invitation.ToResponse(null);
        await db.RaiseAsync(OrganizationEvents.InvitationCreated, response, ct);
        return response with { Token = token };
    }

    /// <summary>The organization's pending invitations (not accepted, not expired), newest first.</summary>
    public IQueryable<Invitation> PendingList()
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return db.Set<Invitation>().Where(i => i.AcceptedAt == null && i.ExpiresAt > now)
            .OrderByDescending(i => i.CreatedAt).ThenByDescending(i => i.Id);
    }

    /// <summary>Deletes a pending invitation: its link stops working. Saves. Null when done.</summary>
    public async Task<Refusal?> RevokeAsync(Guid id, CancellationToken ct)
    {
        var invitation = await db.Set<Invitation>().FirstOrDefaultAsync(i => i.Id == id && i.AcceptedAt == null, ct);
        if (invitation is null)
        {
            return NotFound();
        }

        db.Remove(invitation);
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>The pending invitation behind <paramref name="token"/> with its organization's name; null when unknown, used, revoked or expired.</summary>
    public async Task<Pending?> FindAsync(string token, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var hash = OpaqueToken.Hash(token);
        // The token names its tenant, so it is looked up across tenants; nothing else is read in this scope.
        return await db.RunAsSystemAsync(
            () => db.Set<Invitation>().IgnoreQueryFilters().AsNoTracking()
                .Where(i => i.TokenHash == hash && i.AcceptedAt == null && i.ExpiresAt > now)
                .Join(db.Set<Organization>(), i => i.TenantId, o => o.Id,
                    (i, o) => new Pending(i.Id, o.Id, o.Name, i.Email, i.Role, i.ExpiresAt))
                .FirstOrDefaultAsync(ct), ct);
    }

    /// <summary>
    /// The signed-in person (not an API key) accepts: they must have the invited email and not be a member yet. Enters
    /// the invitation's organization as the request's tenant. Saves.
    /// </summary>
    public async Task<Outcome<Joined>> AcceptAsync(string token, CancellationToken ct)
    {
        if (tenant.UserId is not { } userId || tenant.ApiKeyId is not null)
        {
            return new Refusal(StatusCodes.Status403Forbidden, ProblemCodes.UserTokenRequired, "Sign in as the invited person to accept.");
        }

        var invitation = await FindAsync(token, ct);
        if (invitation is null)
        {
            return NotFound();
        }

        var user = await db.Set<User>().SingleAsync(u => u.Id == userId, ct);
        if (user.NormalizedEmail != invitation.Email)
        {
            return NotForYou();
        }

        await tenantScope.EnterAsync(invitation.OrganizationId, ct);
        if (await db.Set<Membership>().AnyAsync(m => m.UserId == userId, ct))
        {
            return Refusal.Conflict(ProblemCodes.AlreadyMember, "You are already a member of this organization.");
        }

        var row = await db.Set<Invitation>().AsNoTracking().SingleAsync(i => i.Id == invitation.Id, ct);
        // Spending the token is a conditional update: of two concurrent accepts, one wins.
        var now = clock.GetUtcNow().UtcDateTime;
        var spent = await db.Set<Invitation>()
            .Where(i => i.Id == invitation.Id && i.AcceptedAt == null)
            .ExecuteUpdateAsync(i => i.SetProperty(x => x.AcceptedAt, now).SetProperty(x => x.AcceptedByUserId, userId), ct);
        if (spent == 0)
        {
            return NotFound();
        }

        // ExecuteUpdate bypasses the change tracker and so the audit trail: make the same change through it as well.
        db.Attach(row);
        row.AcceptedAt = now;
        row.AcceptedByUserId = userId;
        var membership = new Membership { UserId = userId, Role = invitation.Role };
        db.Add(membership);
        user.EmailVerifiedAt ??= now; // the invitation reached this address
        await db.SaveChangesAsync(ct);
        await db.RaiseAsync(OrganizationEvents.InvitationAccepted, row.ToResponse(null), ct);
        await db.RaiseAsync(OrganizationEvents.MembershipCreated, membership.ToResponse(user), ct);
        var organization = await db.Set<Organization>().SingleAsync(o => o.Id == invitation.OrganizationId, ct);
        return new Joined(organization, membership.Role);
    }

    /// <summary>No pending invitation has the token: unknown, used, revoked or expired.</summary>
    public static Refusal NotFound() =>
        Refusal.NotFound(ProblemCodes.InvitationNotFound, "The invitation (or it was used or has expired)");

    /// <summary>The invitation names another email than the person accepting it.</summary>
    public static Refusal NotForYou() =>
        new(StatusCodes.Status403Forbidden, ProblemCodes.InvitationNotForYou, "This invitation was sent to another email address.");
}

public static class InvitationResponses
{
    public static InvitationResponse ToResponse(this Invitation i, string? token) =>
        new(i.Id, i.Email, i.Role.ToWire(), i.ExpiresAt, i.CreatedAt, token);
}

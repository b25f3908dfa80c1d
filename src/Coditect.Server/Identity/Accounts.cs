using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Coditect.Contracts.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Identity;

/// <summary>
/// The account use cases the API and the console share (scoped): signing up with a first organization or into the
/// organization of an invitation, checking a password (and storing it anew when its parameters are stale), changing
/// it, and renaming. Callers decide how to answer.
/// </summary>
public sealed class Accounts(
    CoditectDbContext db, PasswordHasher hasher, TenantScope scope, Invitations invitations, MailedTokens mailedTokens,
    IOptions<IdentityOptions> options, TimeProvider clock, Signing.LeaseSigningKeys signingKeys)
{
    /// <summary>
    /// A sign-up's outcome: the user and the organization they own or joined; or the field errors; or that the email
    /// has an account; or why the invitation was refused (<see cref="Refusal"/>).
    /// </summary>
    public sealed record Registration(User? User, Organization? Organization, Validator Errors, bool EmailTaken, Refusal? Refusal = null)
    {
        public bool Succeeded => User is not null;
    }

    /// <summary>
    /// Creates the user and either an organization they own (<paramref name="organizationName"/>) or, instead, their
    /// membership in the organization that <paramref name="invitationToken"/> invites <paramref name="email"/> to, with
    /// its role (the invitation is spent). Saves.
    /// </summary>
    public async Task<Registration> RegisterAsync(
        string? email, string? password, string? name, string? organizationName, string? invitationToken, CancellationToken ct)
    {
        var errors = new Validator();
        var address = errors.Email("email", email);
        errors.Password("password", password);
        var userName = errors.Required("name", name);
        string? orgName = null;
        string? token = null;
        if (invitationToken is null)
        {
            orgName = errors.Required("organization_name", organizationName);
        }
        else
        {
            token = errors.Required("invitation_token", invitationToken);
            if (organizationName is not null)
            {
                errors.Add("invitation_token", "cannot go with organization_name: the account joins the invitation's organization.");
            }
        }

        if (!errors.IsValid)
        {
            return new Registration(null, null, errors, false);
        }

        var normalized = User.Normalize(address);
        if (token is not null)
        {
            var invitation = await invitations.FindAsync(token, ct);
            if (invitation is null)
            {
                return Refused(errors, Invitations.NotFound());
            }

            if (invitation.Email != normalized)
            {
                return Refused(errors, Invitations.NotForYou());
            }
        }

        if (await db.Set<User>().AnyAsync(u => u.NormalizedEmail == normalized, ct))
        {
            return Taken(errors);
        }

        var user = new User { Email = address, NormalizedEmail = normalized, Name = userName, PasswordHash = await hasher.HashAsync(password!, ct) };
        if (token is not null)
        {
            user.EmailVerifiedAt = clock.GetUtcNow().UtcDateTime; // the invitation reached this address
        }
        else if (options.Value.RequireEmailVerification)
        {
            mailedTokens.SendVerification(user);
        }

        db.Add(user);
        await scope.EnterUserAsync(user.Id, ct);
        var organization = orgName is null ? null : await OrganizationEndpoints.CreateAsync(db, scope, signingKeys, orgName, slug: null, user.Id, ct);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            return Taken(errors); // a concurrent sign-up with the same email won
        }

        if (token is not null)
        {
            var accepted = await invitations.AcceptAsync(token, ct);
            if (accepted.Value is not { } joined)
            {
                // Another accept spent the invitation since it was found: no account without its organization.
                db.Remove(user);
                await db.SaveChangesAsync(ct);
                return Refused(errors, accepted.Refusal!);
            }

            organization = joined.Organization;
        }

        return new Registration(user, organization, errors, false);
    }

    /// <summary>Whether the user must confirm their address before signing in (<c>Identity:RequireEmailVerification</c>).</summary>
    public bool MustVerify(User user) => options.Value.RequireEmailVerification && user.EmailVerifiedAt is null;

    /// <summary>The answer to a sign-in (or sign-up) whose address is not confirmed yet.</summary>
    public static Refusal NotVerified() =>
        new(StatusCodes.Status403Forbidden, ProblemCodes.EmailNotVerified,
            "Confirm your e-mail address first: follow the link we mailed you (or ask for a new one).");

    private static Registration Refused(Validator errors, Refusal refusal) => new(null, null, errors, false, refusal);

    private static Registration Taken(Validator errors) =>
        new(null, null, errors.Add("email", "An account with this email exists."), true);

    /// <summary>
    /// The user with this email and password, or null. Costs one password hash whether or not the email exists, so
    /// the answer's timing does not tell. A hash with stale parameters is stored anew (ADR 0004).
    /// </summary>
    public async Task<User?> VerifyAsync(string email, string password, CancellationToken ct)
    {
        var normalized = User.Normalize(email);
        var user = await db.Set<User>().FirstOrDefaultAsync(u => u.NormalizedEmail == normalized, ct);
        if (user is null)
        {
            await hasher.VerifyAgainstDummyAsync(password, ct);
            return null;
        }

        var check = await hasher.VerifyAsync(password, user.PasswordHash, ct);
        if (!check.Valid)
        {
            return null;
        }

        if (check.NeedsRehash)
        {
            user.PasswordHash = await hasher.HashAsync(password, ct);
            await db.SaveChangesAsync(ct);
        }

        return user;
    }

    /// <summary>Changes the user's display name. Returns the field errors (empty on success). Saves.</summary>
    public async Task<Validator> RenameAsync(Guid userId, string? name, CancellationToken ct)
    {
        var errors = new Validator();
        var newName = errors.Required("name", name);
        if (!errors.IsValid)
        {
            return errors;
        }

        var user = await db.Set<User>().SingleAsync(u => u.Id == userId, ct);
        user.Name = newName;
        await db.SaveChangesAsync(ct);
        return errors;
    }

    /// <summary>
    /// Changes the password after checking the current one: a new security stamp ends every other console session,
    /// and every refresh token of the user is revoked. Returns the field errors (empty on success). Saves.
    /// </summary>
    public async Task<Validator> ChangePasswordAsync(Guid userId, string? current, string? replacement, CancellationToken ct)
    {
        var errors = new Validator();
        if (string.IsNullOrEmpty(current))
        {
            errors.Add("current_password", "is required.");
        }

        errors.Password("new_password", replacement);
        if (!errors.IsValid)
        {
            return errors;
        }

        var user = await db.Set<User>().SingleAsync(u => u.Id == userId, ct);
        if (!(await hasher.VerifyAsync(current!, user.PasswordHash, ct)).Valid)
        {
            return errors.Add("current_password", "is not your current password.");
        }

        user.PasswordHash = await hasher.HashAsync(replacement!, ct);
        user.SecurityStamp = User.NewSecurityStamp();
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Set<RefreshToken>().Where(t => t.UserId == userId && t.RevokedAt == null)
            .ExecuteUpdateAsync(t => t.SetProperty(x => x.RevokedAt, now), ct);
        await db.SaveChangesAsync(ct);
        return errors;
    }
}

using System.Text.Json.Nodes;
using Coditect.Server.Audit;
using Coditect.Server.Data;
using Coditect.Server.Staff;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Identity.Oidc;

/// <summary>
/// Who a provider's identity signs in as (scoped; decisions.md): the user it is linked to; else the user with that
/// e-mail when the provider says <c>email_verified</c> and our user has confirmed the address too (the link is made);
/// else, for an address unknown here, a new user when <c>Oidc:AllowSignUp</c> is on and the provider verified the
/// address. Never a link on an unverified address. Each outcome is logged (event ids 1600-1609) without tokens; a link
/// and an account made are platform-level audit events too (<see cref="LinkedEvent"/>, <see cref="CreatedEvent"/>).
/// </summary>
public sealed class OidcSignIn(
    CoditectDbContext db, TenantScope scope, IOptions<OidcOptions> options, TimeProvider clock, ILogger<OidcSignIn> logger)
{
    /// <summary>The marker stored instead of a password hash for an account made by a provider: no password matches it.</summary>
    public const string NoPassword = "!oidc";

    public const string LinkedEvent = "user.oidc_linked";
    public const string CreatedEvent = "user.oidc_created";

    public enum Kind { SignedIn, Linked, Created, Refused }

    public sealed record Outcome(Kind Kind, User? User, string? Refusal = null);

    public async Task<Outcome> ResolveAsync(string provider, OidcIdentity identity, CancellationToken ct)
    {
        // The callback is a GET, which reads only unless it says otherwise: every outcome but a refusal writes.
        await scope.WritesAfterAllAsync(ct);
        await scope.BeginAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var login = await db.Set<UserLogin>().FirstOrDefaultAsync(l => l.Provider == provider && l.Subject == identity.Subject, ct);
        if (login is not null)
        {
            var linked = await db.Set<User>().SingleAsync(u => u.Id == login.UserId, ct);
            login.LastSignInAt = now;
            await db.SaveChangesAsync(ct);
            logger.LogInformation(new EventId(1600, "OidcSignedIn"), "OIDC sign-in through {Provider} as user {UserId}", provider, linked.Id);
            return new Outcome(Kind.SignedIn, linked);
        }

        if (identity.Email is not { Length: <= 254 } email || !email.Contains('@', StringComparison.Ordinal))
        {
            return Refuse(provider, "no_email", "The provider did not tell us your e-mail address, so we cannot find or make your account.");
        }

        var normalized = User.Normalize(email);
        var user = await db.Set<User>().FirstOrDefaultAsync(u => u.NormalizedEmail == normalized, ct);
        if (user is not null)
        {
            if (!identity.EmailVerified || user.EmailVerifiedAt is null)
            {
                return Refuse(provider, identity.EmailVerified ? "account_unverified" : "provider_unverified",
                    "An account with this e-mail address exists, but the address is not confirmed on both sides, so we did not "
                    + "link it to this sign-in. Sign in with your password instead.");
            }

            return await LinkAsync(provider, identity, user, Kind.Linked, ct);
        }

        if (!options.Value.AllowSignUp)
        {
            return Refuse(provider, "sign_up_closed", "There is no account with this e-mail address. Ask an administrator of your organization for an invitation.");
        }

        if (!identity.EmailVerified)
        {
            return Refuse(provider, "provider_unverified", "The provider has not verified this e-mail address, so we cannot make an account with it.");
        }

        user = new User
        {
            Email = email,
            NormalizedEmail = normalized,
            Name = string.IsNullOrWhiteSpace(identity.Name) ? email[..email.IndexOf('@', StringComparison.Ordinal)] : identity.Name.Trim()[..Math.Min(identity.Name.Trim().Length, 200)],
            PasswordHash = NoPassword,
            EmailVerifiedAt = now, // the provider verified it
        };
        db.Add(user);
        return await LinkAsync(provider, identity, user, Kind.Created, ct);
    }

    private async Task<Outcome> LinkAsync(string provider, OidcIdentity identity, User user, Kind kind, CancellationToken ct)
    {
        await scope.EnterUserAsync(user.Id, ct); // the person is the actor of the event below
        db.Add(new UserLogin
        {
            UserId = user.Id,
            Provider = provider,
            Subject = identity.Subject,
            Email = identity.Email!,
            LastSignInAt = clock.GetUtcNow().UtcDateTime,
        });
        // A platform-level event (a person's, no organization's: StaffAudit.PlatformTenant), written through the system
        // path as row-level security requires for that tenant id; operators read it with SQL (docs/operations.md).
        AuditRecorder.Explicit(db, StaffAudit.PlatformTenant, kind == Kind.Created ? CreatedEvent : LinkedEvent, "user", user.Id,
            new JsonObject { ["provider"] = new JsonObject { ["before"] = null, ["after"] = provider } }, clock.GetUtcNow().UtcDateTime);
        try
        {
            await db.RunAsSystemAsync(() => db.SaveChangesAsync(ct), ct);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            // A concurrent first sign-in of the same identity (or the same new address) won: the person tries again.
            return Refuse(provider, "conflict", "Another sign-in with this account was under way. Try again.");
        }

        logger.LogInformation(new EventId(kind == Kind.Created ? 1602 : 1601, kind == Kind.Created ? "OidcUserCreated" : "OidcLinked"),
            "OIDC identity at {Provider} {Outcome} user {UserId}", provider, kind == Kind.Created ? "created" : "linked to", user.Id);
        return new Outcome(kind, user);
    }

    private Outcome Refuse(string provider, string reason, string message)
    {
        logger.LogWarning(new EventId(1603, "OidcRefused"), "OIDC sign-in through {Provider} refused: {Reason}", provider, reason);
        return new Outcome(Kind.Refused, null, message);
    }
}

using Coditect.Server.Data;
using Coditect.Server.Notifications.Email;
using Coditect.Server.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Identity;

/// <summary>
/// The use cases behind links mailed to a person (scoped), shared by the API and the console: "forgot my password"
/// (always the same answer, whether or not the address has an account), setting a new password with the single-use
/// token (every refresh token and console session ends), and confirming an address.
/// </summary>
public sealed class MailedTokens(CoditectDbContext db, PasswordHasher hasher, Mailbox mailbox, IOptions<IdentityOptions> options, TimeProvider clock)
{
    private const string ResetPrefix = "cdr_";
    private const string VerifyPrefix = "cdv_";

    /// <summary>Mails a reset link when <paramref name="email"/> has an account; otherwise does nothing, visibly the same. Saves.</summary>
    public async Task<Validator> ForgotPasswordAsync(string? email, CancellationToken ct)
    {
        var errors = new Validator();
        var address = errors.Email("email", email);
        if (!errors.IsValid)
        {
            return errors;
        }

        var normalized = User.Normalize(address);
        var user = await db.Set<User>().AsNoTracking().FirstOrDefaultAsync(u => u.NormalizedEmail == normalized, ct);
        if (user is null)
        {
            return errors;
        }

        var minutes = options.Value.PasswordResetMinutes;
        var token = Issue(user.Id, UserToken.PasswordReset, ResetPrefix, TimeSpan.FromMinutes(minutes));
        mailbox.Queue(MailKinds.PasswordReset, user.Email,
            MailTemplates.PasswordReset(user.Name, mailbox.Link("/password/reset?token=" + Uri.EscapeDataString(token)), minutes));
        await db.SaveChangesAsync(ct);
        return errors;
    }

    /// <summary>
    /// Spends a reset token and sets the password: a new security stamp ends every console session, every refresh token
    /// is revoked, and the user's other reset links stop working. Saves. Returns the field errors (empty on success).
    /// </summary>
    public async Task<Validator> ResetPasswordAsync(string? token, string? password, CancellationToken ct)
    {
        var errors = new Validator();
        var value = errors.Required("token", token, 200);
        errors.Password("password", password);
        if (!errors.IsValid)
        {
            return errors;
        }

        if (await SpendAsync(value, UserToken.PasswordReset, ct) is not { } userId)
        {
            return errors.Add("token", "is unknown, used or expired: ask for a new reset link.");
        }

        var user = await db.Set<User>().SingleAsync(u => u.Id == userId, ct);
        user.PasswordHash = await hasher.HashAsync(password!, ct);
        user.SecurityStamp = User.NewSecurityStamp();
        var now = clock.GetUtcNow().UtcDateTime;
        user.EmailVerifiedAt ??= now; // the link reached the address
        await db.Set<RefreshToken>().Where(t => t.UserId == userId && t.RevokedAt == null)
            .ExecuteUpdateAsync(t => t.SetProperty(x => x.RevokedAt, now), ct);
        await db.Set<UserToken>().Where(t => t.UserId == userId && t.Purpose == UserToken.PasswordReset && t.UsedAt == null)
            .ExecuteUpdateAsync(t => t.SetProperty(x => x.UsedAt, now), ct);
        await db.SaveChangesAsync(ct);
        return errors;
    }

    /// <summary>Mails an address verification link to the user. The caller saves.</summary>
    public void SendVerification(User user)
    {
        var token = Issue(user.Id, UserToken.EmailVerification, VerifyPrefix, TimeSpan.FromDays(options.Value.EmailVerificationDays));
        mailbox.Queue(MailKinds.EmailVerification, user.Email,
            MailTemplates.EmailVerification(user.Name, mailbox.Link("/email/verify?token=" + Uri.EscapeDataString(token))));
    }

    /// <summary>Mails a new verification link when <paramref name="email"/> has an unverified account; the same answer otherwise. Saves.</summary>
    public async Task<Validator> ResendVerificationAsync(string? email, CancellationToken ct)
    {
        var errors = new Validator();
        var address = errors.Email("email", email);
        if (!errors.IsValid)
        {
            return errors;
        }

        var normalized = User.Normalize(address);
        if (await db.Set<User>().AsNoTracking().FirstOrDefaultAsync(u => u.NormalizedEmail == normalized && u.EmailVerifiedAt == null, ct) is { } user)
        {
            SendVerification(user);
            await db.SaveChangesAsync(ct);
        }

        return errors;
    }

    /// <summary>Spends a verification token and marks the address verified. Saves. Field errors when the token is bad.</summary>
    public async Task<Validator> VerifyEmailAsync(string? token, CancellationToken ct)
    {
        var errors = new Validator();
        var value = errors.Required("token", token, 200);
        if (!errors.IsValid)
        {
            return errors;
        }

        if (await SpendAsync(value, UserToken.EmailVerification, ct) is not { } userId)
        {
            return errors.Add("token", "is unknown, used or expired: sign in to get a new link.");
        }

        var user = await db.Set<User>().SingleAsync(u => u.Id == userId, ct);
        user.EmailVerifiedAt ??= clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return errors;
    }

    private string Issue(Guid userId, string purpose, string prefix, TimeSpan lifetime)
    {
        var token = OpaqueToken.New(prefix);
        db.Add(new UserToken
        {
            UserId = userId,
            Purpose = purpose,
            TokenHash = OpaqueToken.Hash(token),
            ExpiresAt = clock.GetUtcNow().UtcDateTime + lifetime,
        });
        return token;
    }

    /// <summary>Marks the token used if it is live (a conditional update: one of two concurrent uses wins); its user, or null.</summary>
    private async Task<Guid?> SpendAsync(string token, string purpose, CancellationToken ct)
    {
        var hash = OpaqueToken.Hash(token);
        var now = clock.GetUtcNow().UtcDateTime;
        var row = await db.Set<UserToken>().AsNoTracking()
            .FirstOrDefaultAsync(t => t.TokenHash == hash && t.Purpose == purpose && t.UsedAt == null && t.ExpiresAt > now, ct);
        if (row is null)
        {
            return null;
        }

        var spent = await db.Set<UserToken>().Where(t => t.Id == row.Id && t.UsedAt == null)
            .ExecuteUpdateAsync(t => t.SetProperty(x => x.UsedAt, now), ct);
        return spent == 1 ? row.UserId : null;
    }
}

using Coditect.Contracts.Common;
using Coditect.Contracts.Identity;
using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Identity;

public static class AuthEndpoints
{
    public static void MapIdentity(this RouteGroupBuilder api)
    {
        var auth = api.MapGroup("/auth").WithTags("Authentication").RequireSignInRateLimit();
        auth.MapPost("/register", Register).WithName("register")
            .WithSummary("Create an account with its first organization, or in the organization of an invitation")
            .ProducesProblems(StatusCodes.Status403Forbidden, ProblemCodes.InvitationNotForYou, ProblemCodes.EmailNotVerified)
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.InvitationNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.EmailTaken);
        auth.MapPost("/login", Login).WithName("login").WithSummary("Sign in with email and password")
            .ProducesProblems(StatusCodes.Status401Unauthorized, ProblemCodes.InvalidCredentials)
            .ProducesProblems(StatusCodes.Status403Forbidden, ProblemCodes.EmailNotVerified);
        auth.MapPost("/password/forgot", ForgotPassword).WithName("forgotPassword")
            .WithSummary("Mail a password reset link; the same answer whether or not the address has an account");
        auth.MapPost("/password/reset", ResetPassword).WithName("resetPassword")
            .WithSummary("Set a new password with a reset link's token; every sign-in of the account ends");
        auth.MapPost("/email/verify", VerifyEmail).WithName("verifyEmail").WithSummary("Confirm an e-mail address with the mailed token");
        auth.MapPost("/email/verify/resend", ResendVerification).WithName("resendEmailVerification")
            .WithSummary("Mail a new address verification link; the same answer whether or not the address has an unconfirmed account");
        auth.MapPost("/refresh", Refresh).WithName("refreshTokens").WithSummary("Exchange a refresh token for a new token pair")
            .ProducesProblems(StatusCodes.Status401Unauthorized, ProblemCodes.InvalidRefreshToken, ProblemCodes.RefreshTokenReused);
        auth.MapPost("/logout", Logout).WithName("logout").WithSummary("End a sign-in: revoke its refresh tokens");
        api.MapGet("/me", Me).WithTags("Authentication").RequireAuthorization()
            .WithName("getMe").WithSummary("The signed-in user and their organizations")
            .ProducesProblems(StatusCodes.Status403Forbidden, ProblemCodes.UserTokenRequired);
    }

    private static async Task<Results<Created<TokenResponse>, ProblemHttpResult>> Register(
        RegisterRequest body, Accounts accounts, CoditectDbContext db, AccessTokens accessTokens,
        RefreshTokens refreshTokens, TenantScope scope, CancellationToken ct)
    {
        var registration = await accounts.RegisterAsync(body.Email, body.Password, body.Name, body.OrganizationName, body.InvitationToken, ct);
        if (registration.EmailTaken)
        {
            return EmailTaken();
        }

        if (registration.Refusal is { } refusal)
        {
            return refusal.ToProblem();
        }

        if (!registration.Succeeded)
        {
            return Problems.Validation(registration.Errors);
        }

        if (accounts.MustVerify(registration.User!))
        {
            return Accounts.NotVerified().ToProblem(); // the account exists; the link to confirm it is on its way
        }

        var tokens = await TokensAsync(db, scope, registration.User!, registration.Organization, null, accessTokens, refreshTokens, ct);
        return TypedResults.Created("/api/v1/me", tokens);
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> Login(
        LoginRequest body, Accounts accounts, CoditectDbContext db, AccessTokens accessTokens,
        RefreshTokens refreshTokens, TenantScope scope, CancellationToken ct)
    {
        var errors = new Validator();
        var email = errors.Required("email", body.Email, 254);
        if (string.IsNullOrEmpty(body.Password))
        {
            errors.Add("password", "is required.");
        }

        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        var user = await accounts.VerifyAsync(email, body.Password!, ct);
        if (user is null)
        {
            return InvalidCredentials();
        }

        return accounts.MustVerify(user)
            ? Accounts.NotVerified().ToProblem()
            : TypedResults.Ok(await TokensAsync(db, scope, user, null, null, accessTokens, refreshTokens, ct));
    }

    private static readonly MailQueuedResponse ResetQueued =
        new("If the address has an account, a link to reset its password is on its way. It works once, within the hour.");

    private static readonly MailQueuedResponse VerificationQueued =
        new("If the address has an account waiting for confirmation, a new link is on its way.");

    private static async Task<Results<Accepted<MailQueuedResponse>, ProblemHttpResult>> ForgotPassword(EmailRequest body, MailedTokens tokens, CancellationToken ct)
    {
        var errors = await tokens.ForgotPasswordAsync(body.Email, ct);
        return errors.IsValid ? TypedResults.Accepted((string?)null, ResetQueued) : Problems.Validation(errors);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> ResetPassword(ResetPasswordRequest body, MailedTokens tokens, CancellationToken ct)
    {
        var errors = await tokens.ResetPasswordAsync(body.Token, body.Password, ct);
        return errors.IsValid ? TypedResults.NoContent() : Problems.Validation(errors);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> VerifyEmail(VerifyEmailRequest body, MailedTokens tokens, CancellationToken ct)
    {
        var errors = await tokens.VerifyEmailAsync(body.Token, ct);
        return errors.IsValid ? TypedResults.NoContent() : Problems.Validation(errors);
    }

    private static async Task<Results<Accepted<MailQueuedResponse>, ProblemHttpResult>> ResendVerification(EmailRequest body, MailedTokens tokens, CancellationToken ct)
    {
        var errors = await tokens.ResendVerificationAsync(body.Email, ct);
        return errors.IsValid ? TypedResults.Accepted((string?)null, VerificationQueued) : Problems.Validation(errors);
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> Refresh(
        RefreshRequest body, CoditectDbContext db, AccessTokens accessTokens, RefreshTokens refreshTokens, TenantScope scope, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.RefreshToken) || body.RefreshToken.Length > 200)
        {
            return Problems.Validation("refresh_token", "is required.");
        }

        var (outcome, userId, familyId) = await refreshTokens.SpendAsync(body.RefreshToken, ct);
        switch (outcome)
        {
            case RotationOutcome.Reused:
                return Problems.Unauthorized(ProblemCodes.RefreshTokenReused,
                    "This refresh token was already used; every token of this sign-in is now revoked. Sign in again.");
            case RotationOutcome.Invalid:
                return Problems.Unauthorized(ProblemCodes.InvalidRefreshToken, "The refresh token is unknown, expired or revoked.");
        }

        var user = await db.Set<User>().AsNoTracking().SingleAsync(u => u.Id == userId, ct);
        return TypedResults.Ok(await TokensAsync(db, scope, user, null, familyId, accessTokens, refreshTokens, ct));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Logout(RefreshRequest body, RefreshTokens refreshTokens, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.RefreshToken) || body.RefreshToken.Length > 200)
        {
            return Problems.Validation("refresh_token", "is required.");
        }

        await refreshTokens.RevokeAsync(body.RefreshToken, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<MeResponse>, ProblemHttpResult>> Me(TenantContext tenant, CoditectDbContext db, CancellationToken ct)
    {
        if (tenant.UserId is not { } userId || tenant.ApiKeyId is not null)
        {
            return Problems.Of(StatusCodes.Status403Forbidden, ProblemCodes.UserTokenRequired, "This endpoint describes a signed-in user, not an API key.");
        }

        var user = await db.Set<User>().AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null)
        {
            return Problems.Unauthorized(ProblemCodes.Unauthorized, "The account no longer exists.");
        }

        var organizations = await MembershipsOf(db, userId)
            .Select(x => new MyOrganization(x.Organization.Id, x.Organization.Slug, x.Organization.Name, x.Role.ToWire()))
            .ToListAsync(ct);
        return TypedResults.Ok(new MeResponse(user.Id, user.Email, user.Name, organizations));
    }

    private static async Task<TokenResponse> TokensAsync(
        CoditectDbContext db, TenantScope scope, User user, Organization? organization, Guid? familyId, AccessTokens accessTokens, RefreshTokens refreshTokens, CancellationToken ct)
    {
        var refresh = await refreshTokens.IssueAsync(user.Id, familyId, ct);
        if (organization is null)
        {
            // The user's own memberships are readable once the user is known (RLS policy memberships_self).
            await scope.EnterUserAsync(user.Id, ct);
            organization = await MembershipsOf(db, user.Id).Select(x => x.Organization).FirstOrDefaultAsync(ct);
        }

        return new TokenResponse(accessTokens.Issue(user.Id), refresh, "Bearer", accessTokens.LifetimeSeconds,
            new UserResponse(user.Id, user.Email, user.Name),
            organization is null ? null : new OrganizationSummary(organization.Id, organization.Slug, organization.Name));
    }

    /// <summary>The user's organizations, oldest membership first. Crosses tenants by design: RLS policy memberships_self.</summary>
    internal static IQueryable<MembershipRow> MembershipsOf(CoditectDbContext db, Guid userId) =>
        db.Set<Membership>().IgnoreQueryFilters().Where(m => m.UserId == userId)
            .Join(db.Set<Organization>(), m => m.TenantId, o => o.Id, (m, o) => new MembershipRow { Organization = o, Role = m.Role, Since = m.CreatedAt })
            .OrderBy(x => x.Since);

    internal sealed class MembershipRow
    {
        public required Organization Organization { get; init; }
        public Role Role { get; init; }
        public DateTime Since { get; init; }
    }

    private static ProblemHttpResult EmailTaken() =>
        Problems.Of(StatusCodes.Status409Conflict, ProblemCodes.EmailTaken, "An account with this email exists.",
            extensions: new Dictionary<string, object?> { ["field"] = "email" });

    private static ProblemHttpResult InvalidCredentials() =>
        Problems.Unauthorized(ProblemCodes.InvalidCredentials, "The email or password is wrong.");
}

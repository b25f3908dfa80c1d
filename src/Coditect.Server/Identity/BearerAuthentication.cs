using System.Security.Claims;
using System.Text.Encodings.Web;
using Coditect.Contracts.Common;
using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Coditect.Server.Identity;

/// <summary>
/// One scheme for both kinds of bearer credential: an access token (a JWT, for people) or an API key (<c>cdk_...</c>,
/// for automation, bound to one organization and role). Either way the caller lands in the request's
/// <see cref="TenantContext"/>.
/// </summary>
public sealed class BearerAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    AccessTokens accessTokens,
    TenantContext tenant,
    TimeProvider clock) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";
    public const string ApiKeyPrefix = "cdk_";
    public const string OrgIdClaim = "org_id";
    public const string RoleClaim = "org_role";
    public const string ApiKeyIdClaim = "api_key_id";
    private const string FailureCodeItem = "coditect.auth_failure_code";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var credential = header["Bearer ".Length..].Trim();
        if (credential.Length is 0 or > 4096)
        {
            return AuthenticateResult.Fail("Malformed bearer credential.");
        }

        return credential.StartsWith(ApiKeyPrefix, StringComparison.Ordinal)
            ? await AuthenticateApiKeyAsync(credential)
            : await AuthenticateAccessTokenAsync(credential);
    }

    private async Task<AuthenticateResult> AuthenticateAccessTokenAsync(string token)
    {
        if (await accessTokens.ValidateAsync(token) is not { } userId)
        {
            return AuthenticateResult.Fail("Invalid access token.");
        }

        tenant.SetUser(userId);
        var identity = new ClaimsIdentity([new Claim(JwtRegisteredClaimNames.Sub, userId.ToString())], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    private async Task<AuthenticateResult> AuthenticateApiKeyAsync(string key)
    {
        var hash = OpaqueToken.Hash(key);
        var now = clock.GetUtcNow().UtcDateTime;
        // Resolved here, not injected: the handler runs for every request (the lease protocol too), and most carry no
        // API key, so they should not pay for a DbContext.
        var db = Context.RequestServices.GetRequiredService<CoditectDbContext>();
        // An API key names its tenant, so the tenant cannot be known before the lookup: a system-scope read. The key's
        // creator's current role comes with it: a key carries its creator's authority (ADR 0011).
        var found = await db.RunAsSystemAsync(async () =>
        {
            var row = await db.Set<ApiKey>().IgnoreQueryFilters().AsNoTracking()
                .Where(k => k.KeyHash == hash && k.RevokedAt == null)
                .Select(k => new
                {
                    Key = k,
                    CreatorRole = db.Set<Membership>().IgnoreQueryFilters()
                        .Where(m => m.TenantId == k.TenantId && m.UserId == k.CreatedByUserId)
                        .Select(m => (Role?)m.Role).FirstOrDefault(),
                })
                .FirstOrDefaultAsync(Context.RequestAborted);
            if (row is not null && (row.Key.LastUsedAt is null || row.Key.LastUsedAt < now.AddMinutes(-5)))
            {
                await db.Set<ApiKey>().IgnoreQueryFilters().Where(k => k.Id == row.Key.Id)
                    .ExecuteUpdateAsync(k => k.SetProperty(x => x.LastUsedAt, now), Context.RequestAborted);
            }

            return row;
        }, Context.RequestAborted);

        if (found is null)
        {
            return AuthenticateResult.Fail("Invalid API key.");
        }

        var apiKey = found.Key;
        if (!ApiKeyAuthority.Holds(apiKey.Role, found.CreatorRole))
        {
            Context.Items[FailureCodeItem] = ProblemCodes.ApiKeyAuthorityLost;
            return AuthenticateResult.Fail("The API key's creator no longer holds its role in the organization.");
        }

        tenant.SetApiKey(apiKey.Id, apiKey.TenantId, apiKey.CreatedByUserId);
        var identity = new ClaimsIdentity(
        [
            new Claim(ApiKeyIdClaim, apiKey.Id.ToString()),
            new Claim(OrgIdClaim, apiKey.TenantId.ToString()),
            new Claim(RoleClaim, apiKey.Role.ToWire()),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        var problem = Context.Items[FailureCodeItem] is ProblemCodes.ApiKeyAuthorityLost
            ? Problems.Unauthorized(ProblemCodes.ApiKeyAuthorityLost,
                "This API key's creator has left the organization or no longer holds the key's role: the key no longer works.")
            : Problems.Unauthorized(ProblemCodes.Unauthorized, "A valid access token or API key is required.");
        await problem.ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        await Problems.Forbidden().ExecuteAsync(Context);
}

using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Coditect.Server.Signing;

namespace Coditect.Server.Identity;

/// <summary>
/// Issues and checks access tokens: HS256 JWTs, signed with a server key shared through the database. Only this
/// server verifies them, so a symmetric key is enough; lease tokens that clients verify are signed asymmetrically.
/// </summary>
public sealed class AccessTokens(IOptions<IdentityOptions> options, ServerKeyStore keys, TimeProvider clock)
{
    public const string Purpose = "access-token";
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);
    private readonly IdentityOptions _options = options.Value;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false, MapInboundClaims = false };
    private SymmetricSecurityKey? _key;

    public int LifetimeSeconds => _options.AccessTokenLifetimeSeconds;

    public async Task InitializeAsync(CancellationToken ct)
    {
        var (id, key) = await keys.GetOrCreateSymmetricAsync(Purpose, 32, ct);
        _key = new SymmetricSecurityKey(key) { KeyId = id.ToString("N") };
    }

    public string Issue(Guid userId)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _options.Issuer,
            Audience = _options.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddSeconds(_options.AccessTokenLifetimeSeconds),
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = userId.ToString(),
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
            },
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>The user id of a valid token, or null for anything else (bad signature, other algorithm, expired, wrong issuer or audience).</summary>
    public async Task<Guid?> ValidateAsync(string token)
    {
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = _options.Issuer,
            ValidAudience = _options.Audience,
            IssuerSigningKey = Key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = ClockSkew,
            LifetimeValidator = ValidateLifetime,
        });
        return result.IsValid && Guid.TryParse(result.ClaimsIdentity.FindFirst(JwtRegisteredClaimNames.Sub)?.Value, out var userId)
            ? userId
            : null;
    }

    // The library's own check reads the system clock; ours reads the injected one so tests can move time.
    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return expires is { } exp && now <= exp.ToUniversalTime() + ClockSkew
            && (notBefore is not { } nbf || now >= nbf.ToUniversalTime() - ClockSkew);
    }

    private SymmetricSecurityKey Key => _key ?? throw new InvalidOperationException("AccessTokens.InitializeAsync has not run.");
}

public static class ClaimsPrincipalExtensions
{
    public static Guid? UserId(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(JwtRegisteredClaimNames.Sub), out var id) ? id : null;
}

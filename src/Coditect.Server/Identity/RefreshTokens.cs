using Coditect.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Identity;

public enum RotationOutcome
{
    Rotated,
    Invalid,
    Reused,
}

/// <summary>
/// Rotating refresh tokens. Each token is spent on use by a conditional update (of two concurrent uses exactly one
/// wins); a second use of a spent token means it leaked, so the whole family is revoked, newest token included.
/// </summary>
public sealed class RefreshTokens(CoditectDbContext db, IOptions<IdentityOptions> options, TimeProvider clock)
{
    private const string Prefix = "cdr_";

    public async Task<string> IssueAsync(Guid userId, Guid? familyId, CancellationToken ct)
    {
        var token = OpaqueToken.New(Prefix);
        db.Add(new RefreshToken
        {
            UserId = userId,
            FamilyId = familyId ?? Guid.CreateVersion7(),
            TokenHash = OpaqueToken.Hash(token),
            ExpiresAt = clock.GetUtcNow().UtcDateTime.AddSeconds(options.Value.RefreshTokenLifetimeSeconds),
        });
        await db.SaveChangesAsync(ct);
        return token;
    }

    /// <summary>Spends <paramref name="token"/>; on success returns its user and family for the next token.</summary>
    public async Task<(RotationOutcome Outcome, Guid UserId, Guid FamilyId)> SpendAsync(string token, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var hash = OpaqueToken.Hash(token);
        var stored = await db.Set<RefreshToken>().AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash, ct);
        if (stored is null || stored.ExpiresAt <= now)
        {
            return (RotationOutcome.Invalid, Guid.Empty, Guid.Empty);
        }

        if (stored.SpentAt is not null)
        {
            await RevokeFamilyAsync(stored.FamilyId, now, ct);
            return (RotationOutcome.Reused, stored.UserId, stored.FamilyId);
        }

        if (stored.RevokedAt is not null)
        {
            return (RotationOutcome.Invalid, Guid.Empty, Guid.Empty);
        }

        var spent = await db.Set<RefreshToken>()
            .Where(t => t.Id == stored.Id && t.SpentAt == null && t.RevokedAt == null)
            .ExecuteUpdateAsync(t => t.SetProperty(x => x.SpentAt, now), ct);
        if (spent == 0)
        {
            await RevokeFamilyAsync(stored.FamilyId, now, ct);
            return (RotationOutcome.Reused, stored.UserId, stored.FamilyId);
        }

        return (RotationOutcome.Rotated, stored.UserId, stored.FamilyId);
    }

    /// <summary>Ends the sign-in session the token belongs to. Unknown tokens are ignored: logout is idempotent.</summary>
    public async Task RevokeAsync(string token, CancellationToken ct)
    {
        var hash = OpaqueToken.Hash(token);
        var familyId = await db.Set<RefreshToken>().Where(t => t.TokenHash == hash).Select(t => (Guid?)t.FamilyId).FirstOrDefaultAsync(ct);
        if (familyId is { } family)
        {
            await RevokeFamilyAsync(family, clock.GetUtcNow().UtcDateTime, ct);
        }
    }

    private Task<int> RevokeFamilyAsync(Guid familyId, DateTime now, CancellationToken ct) =>
        db.Set<RefreshToken>()
            .Where(t => t.FamilyId == familyId && t.RevokedAt == null)
            .ExecuteUpdateAsync(t => t.SetProperty(x => x.RevokedAt, now), ct);
}

using Coditect.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Licensing.Ledger;

/// <summary>What a kick did: the session (as it is now) and whether it held a seat that the kick freed.</summary>
public sealed record KickResult(LicenseSession Session, bool Freed);

/// <summary>
/// The kick, in the caller's transaction. On PostgreSQL the seat count (<c>licenses.seats_held</c>, ADR 0009) changes
/// only under the licence lock, taken before any session row, as every other path takes it (Licensing README,
/// invariant 2a); the session is read again under it.
/// </summary>
internal static class LedgerKick
{
    public static async Task<KickResult?> KickAsync(CoditectDbContext db, Guid sessionId, DateTime now, CancellationToken ct)
    {
        var session = await db.Set<LicenseSession>().FirstOrDefaultAsync(s => s.Id == sessionId, ct);
        if (session is null)
        {
            return null;
        }

        var counted = db.Database.IsNpgsql();
        if (counted)
        {
            await db.Database.ExecuteSqlAsync($"SELECT id FROM licenses WHERE id = {session.LicenseId} FOR NO KEY UPDATE", ct);
            await db.Entry(session).ReloadAsync(ct);
        }

        if (!session.HoldsSeat(now))
        {
            return new KickResult(session, Freed: false); // already over: nothing to free
        }

        session.Status = SessionState.Kicked;
        session.EndedAt = now;
        var hour = LedgerRules.HourOf(now);
        var usage = await db.Set<LicenseUsage>().FirstOrDefaultAsync(u => u.LicenseId == session.LicenseId && u.HourStart == hour, ct);
        if (usage is null)
        {
            usage = new LicenseUsage { LicenseId = session.LicenseId, TenantId = session.TenantId, HourStart = hour };
            db.Add(usage);
        }

        usage.Kicks++;
        var live = await db.Set<LicenseSession>().CountAsync(
            s => s.LicenseId == session.LicenseId && s.Status == SessionState.Active && s.ExpiresAt > now, ct);
        usage.LastSeatsUsed = Math.Max(0, live - 1);
        await db.SaveChangesAsync(ct);
        if (counted)
        {
            await db.Database.ExecuteSqlAsync($"UPDATE licenses SET seats_held = seats_held - 1 WHERE id = {session.LicenseId}", ct);
        }

        return new KickResult(session, Freed: true);
    }
}

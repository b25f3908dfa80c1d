using System.Security.Cryptography;
using Coditect.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Signing;

/// <summary>
/// Finds or creates the symmetric key for one purpose, shared by every node on the same database. The first node
/// to start inserts it; a node that loses that race reads the winner's (the oldest key wins).
/// </summary>
public sealed class ServerKeyStore(IServiceScopeFactory scopes, MasterKey masterKey)
{
    public async Task<(Guid Id, byte[] Key)> GetOrCreateSymmetricAsync(string purpose, int bytes, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var existing = await OldestAsync(db, purpose, ct);
        if (existing is null)
        {
            db.Add(new ServerKey
            {
                Purpose = purpose,
                Algorithm = "HS256",
                EncryptedKey = masterKey.Encrypt(RandomNumberGenerator.GetBytes(bytes), purpose),
            });
            await db.SaveChangesAsync(ct);
            existing = await OldestAsync(db, purpose, ct);
        }

        return (existing!.Id, masterKey.Decrypt(existing.EncryptedKey, purpose));
    }

    private static Task<ServerKey?> OldestAsync(CoditectDbContext db, string purpose, CancellationToken ct) =>
        db.Set<ServerKey>().AsNoTracking()
            .Where(k => k.Purpose == purpose && k.RetiredAt == null)
            .OrderBy(k => k.CreatedAt).ThenBy(k => k.Id)
            .FirstOrDefaultAsync(ct);
}

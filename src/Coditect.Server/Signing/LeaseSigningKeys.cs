using System.Security.Cryptography;
using Coditect.Server.Data;
using Coditect.Server.Licensing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Signing;

/// <summary>One lease-token key: its id (<c>kid</c>), algorithm and the key itself.</summary>
public sealed record SigningKey(string KeyId, string Algorithm, AsymmetricAlgorithm Key, DateTime CreatedAt, DateTime? RetiredAt);

/// <summary>
/// The asymmetric keys that sign lease tokens, shared by every node through <c>server_keys</c> (private halves
/// encrypted with the master key). The newest unretired key signs. A rotation adds a key and retires the others;
/// a retired key's public half stays published until every statement it can have signed has expired
/// (<see cref="PublicationWindow"/>).
/// </summary>
public sealed class LeaseSigningKeys(
    IServiceScopeFactory scopes,
    MasterKey masterKey,
    IOptions<SigningOptions> signing,
    IOptions<LicensingOptions> licensing,
    TimeProvider clock)
{
    public const string Purpose = "lease-token";
    private volatile KeySet _keys = new(null, []);

    public SigningKey Current => _keys.Current ?? throw new InvalidOperationException("Lease signing keys are not loaded.");

    public IReadOnlyList<SigningKey> Published => _keys.Published;

    /// <summary>
    /// How long a retired key stays published: the longest any statement it signed can live (a lease; a borrowed seat, up
    /// to <see cref="Licensing.Admin.LicenseInput.MaxBorrowHours"/>; an activation token or a licence file, up to
    /// <c>Licensing:LicenseFileMaxDays</c>), plus two refresh intervals for nodes that have not yet seen the rotation.
    /// A verifier that refetches the key set must still find the key of a licence file issued the day before.
    /// </summary>
    internal TimeSpan PublicationWindow =>
        new[] { licensing.Value.LeaseTtl, TimeSpan.FromHours(Licensing.Admin.LicenseInput.MaxBorrowHours), TimeSpan.FromDays(licensing.Value.LicenseFileMaxDays) }.Max()
        + TimeSpan.FromSeconds(2 * signing.Value.KeyRefreshSeconds);

    /// <summary>Loads the key set, creating the first key if the database has none.</summary>
    public async Task LoadAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var rows = await ReadAsync(db, ct);
        // Only a database that never had a lease key gets one here: after a rotation retired the old keys there is
        // always a new one, so a node reloading mid-rotation must not add a key of its own.
        if (rows.Count == 0)
        {
            db.Add(NewKey(signing.Value.LeaseTokenAlgorithm));
            await db.SaveChangesAsync(ct);
            rows = await ReadAsync(db, ct);
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var published = rows
            .Where(r => r.RetiredAt is null || r.RetiredAt.Value + PublicationWindow > now)
            .Select(Decrypt)
            .ToList();
        var current = published.Where(k => k.RetiredAt is null).MaxBy(k => (k.CreatedAt, k.KeyId));
        _keys = new KeySet(current, published);
    }

    /// <summary>Makes a new signing key and retires the others. Returns the new key id.</summary>
    public async Task<string> RotateAsync(string? algorithm, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var key = NewKey(algorithm ?? signing.Value.LeaseTokenAlgorithm); // slow for RSA-4096: before the transaction
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            var now = clock.GetUtcNow().UtcDateTime;
            await db.Set<ServerKey>().Where(k => k.Purpose == Purpose && k.RetiredAt == null)
                .ExecuteUpdateAsync(k => k.SetProperty(x => x.RetiredAt, now), ct);
            db.Add(key);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }

        await LoadAsync(ct);
        return key.Id.ToString("N");
    }

    private static Task<List<ServerKey>> ReadAsync(CoditectDbContext db, CancellationToken ct) =>
        db.Set<ServerKey>().AsNoTracking().Where(k => k.Purpose == Purpose).OrderBy(k => k.CreatedAt).ToListAsync(ct);

    private ServerKey NewKey(string algorithm)
    {
        byte[] pkcs8;
        if (algorithm == "RS256")
        {
            using var rsa = RSA.Create(4096);
            pkcs8 = rsa.ExportPkcs8PrivateKey();
        }
        else
        {
            using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            pkcs8 = ec.ExportPkcs8PrivateKey();
        }

        try
        {
            return new ServerKey { Purpose = Purpose, Algorithm = algorithm, EncryptedKey = masterKey.Encrypt(pkcs8, Purpose) };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private SigningKey Decrypt(ServerKey row)
    {
        var pkcs8 = masterKey.Decrypt(row.EncryptedKey, Purpose);
        try
        {
            AsymmetricAlgorithm key = row.Algorithm == "RS256" ? RSA.Create() : ECDsa.Create();
            key.ImportPkcs8PrivateKey(pkcs8, out _);
            return new SigningKey(row.Id.ToString("N"), row.Algorithm, key, row.CreatedAt, row.RetiredAt);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private sealed record KeySet(SigningKey? Current, IReadOnlyList<SigningKey> Published);
}

/// <summary>Re-reads the key set now and then, so every node learns of a rotation made by another.</summary>
public sealed class LeaseSigningKeyRefresher(LeaseSigningKeys keys, IOptions<SigningOptions> options, ILogger<LeaseSigningKeyRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.KeyRefreshSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await keys.LoadAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Could not refresh lease signing keys: {Error}", e.GetBaseException().Message);
            }
        }
    }
}

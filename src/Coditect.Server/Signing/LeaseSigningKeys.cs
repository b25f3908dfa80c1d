using System.Collections.Concurrent;
using System.Security.Cryptography;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Data;
using Coditect.Server.Licensing;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Signing;

/// <summary>One lease-token key: its id (<c>kid</c>), algorithm and the key itself.</summary>
public sealed record SigningKey(string KeyId, string Algorithm, TokenSigner Key, DateTime CreatedAt, DateTime? RetiredAt);

/// <summary>The keys of one signer (an organization, or the platform): the one that signs, and every one still published.</summary>
public sealed record SigningKeySet(SigningKey? Current, IReadOnlyList<SigningKey> Published)
{
    public static readonly SigningKeySet Empty = new(null, []);
}

/// <summary>
/// The asymmetric keys that sign lease tokens, activation tokens and licence files, shared by every node through
/// <c>server_keys</c> (private halves encrypted with the master key). Each organization has its own (ADR 0020): made
/// with the organization, rotated per organization, published at <c>/api/v1/orgs/{id}/jwks.json</c>; so a vendor's
/// application that trusts its organization's keys cannot be handed a token another tenant's licence gave. The platform's
/// keys (no organization: what signed before migration 0023) sign nothing new and stay published at
/// <c>/.well-known/jwks.json</c> until what they signed has expired (<see cref="PublicationWindow"/>).
/// A node loads an organization's keys at its first statement and keeps them; the refresher re-reads them, so a rotation
/// made on another node reaches this one within <c>Signing:KeyRefreshSeconds</c>.
/// </summary>
public sealed class LeaseSigningKeys(
    IServiceScopeFactory scopes,
    MasterKey masterKey,
    IOptions<SigningOptions> signing,
    IOptions<LicensingOptions> licensing,
    TimeProvider clock,
    ILogger<LeaseSigningKeys> logger)
{
    public const string Purpose = "lease-token";
    private volatile SigningKeySet _platform = SigningKeySet.Empty;
    private readonly ConcurrentDictionary<Guid, SigningKeySet> _organizations = new();

    /// <summary>Keys decrypted once, by row id: a refresh decrypts only keys it has not seen.</summary>
    private readonly ConcurrentDictionary<Guid, SigningKey> _decrypted = new();

    /// <summary>The platform's keys still published (<c>/.well-known/jwks.json</c>): none signs anything new.</summary>
    public IReadOnlyList<SigningKey> PlatformPublished => _platform.Published;

    /// <summary>
    /// How long a retired key stays published: the longest any statement it signed can live (a lease; a borrowed seat, up
    /// to <see cref="Licensing.Admin.LicenseInput.MaxBorrowHours"/>; an activation token or a licence file, up to
    /// <c>Licensing:LicenseFileMaxDays</c>), plus two refresh intervals for nodes that have not yet seen the rotation.
    /// A verifier that refetches the key set must still find the key of a licence file issued the day before.
    /// </summary>
    internal TimeSpan PublicationWindow =>
        new[] { licensing.Value.LeaseTtl, TimeSpan.FromHours(Licensing.Admin.LicenseInput.MaxBorrowHours), TimeSpan.FromDays(licensing.Value.LicenseFileMaxDays) }.Max()
        + TimeSpan.FromSeconds(2 * signing.Value.KeyRefreshSeconds);

    /// <summary>
    /// The organization's keys, loaded at the first call on this node, read through the request's database context
    /// (<paramref name="requestServices"/>) when the caller has one: a request that holds a connection (and perhaps a licence lock) must not wait for a second one, or a burst
    /// of first statements after a restart could take every connection of the pool and wait on itself. An organization
    /// made before migration 0023 (or by a node of an older version) gets its first key here, on a connection of its own;
    /// <see cref="LoadAsync"/> gives every organization its key at start, so that is rare.
    /// </summary>
    public async ValueTask<SigningKeySet> ForOrganizationAsync(Guid organizationId, IServiceProvider? requestServices, CancellationToken ct)
    {
        if (_organizations.TryGetValue(organizationId, out var keys) && keys.Current is not null)
        {
            return keys;
        }

        if (requestServices?.GetService<CoditectDbContext>() is { } db)
        {
            var through = await ReadAsync(db, organizationId, ct);
            if (through.Any(r => r.RetiredAt is null))
            {
                return Remember(organizationId, through);
            }
        }

        await using var scope = scopes.CreateAsyncScope();
        var own = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var rows = await ReadAsync(own, organizationId, ct);
        if (!rows.Any(r => r.RetiredAt is null))
        {
            await CreateFirstAsync(own, organizationId, ct);
            rows = await ReadAsync(own, organizationId, ct);
        }

        return Remember(organizationId, rows);
    }

    /// <summary>The organization's published keys for its JWKS; null when there is no such organization.</summary>
    public async ValueTask<SigningKeySet?> PublishedForAsync(Guid organizationId, CancellationToken ct)
    {
        if (_organizations.TryGetValue(organizationId, out var keys) && keys.Current is not null)
        {
            return keys;
        }

        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
            if (!await db.Set<Organization>().IgnoreQueryFilters().AnyAsync(o => o.Id == organizationId, ct))
            {
                return null;
            }
        }

        return await ForOrganizationAsync(organizationId, null, ct);
    }

    /// <summary>A new organization's first key, added to <paramref name="db"/> in the transaction that creates the organization.</summary>
    public void AddFirstKey(CoditectDbContext db, Guid organizationId) => db.Add(NewKey(signing.Value.LeaseTokenAlgorithm, organizationId));

    /// <summary>
    /// At start: loads the platform's published keys, and gives each organization without a key its first (organizations
    /// made before migration 0023). Several nodes starting at once race harmlessly: the unique index keeps one current key.
    /// </summary>
    public async Task LoadAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var keyless = await db.Set<Organization>().IgnoreQueryFilters()
            .Where(o => !db.Set<ServerKey>().Any(k => k.Purpose == Purpose && k.OrganizationId == o.Id && k.RetiredAt == null))
            .Select(o => o.Id).ToListAsync(ct);
        foreach (var organizationId in keyless)
        {
            await CreateFirstAsync(db, organizationId, ct);
        }

        if (keyless.Count > 0)
        {
            logger.LogInformation("Made the first lease signing key of {Count} organization(s)", keyless.Count);
        }

        await RefreshAsync(ct);
    }

    /// <summary>Re-reads the platform's keys and those of every organization this node has loaded.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        _platform = Build(await ReadAsync(db, null, ct));
        var loaded = _organizations.Keys.ToList();
        if (loaded.Count == 0)
        {
            return;
        }

        var rows = await db.Set<ServerKey>().AsNoTracking()
            .Where(k => k.Purpose == Purpose && k.OrganizationId != null && loaded.Contains(k.OrganizationId.Value))
            .OrderBy(k => k.CreatedAt).ToListAsync(ct);
        var byOrganization = rows.ToLookup(r => r.OrganizationId!.Value);
        foreach (var organizationId in loaded)
        {
            Remember(organizationId, [.. byOrganization[organizationId]]);
        }
    }

    /// <summary>Makes a new signing key for the organization and retires its others, in a transaction of its own. Returns the new key id.</summary>
    public async Task<string> RotateAsync(Guid organizationId, string? algorithm, CancellationToken ct)
    {
        ServerKey key;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            key = await RotateInAsync(db, organizationId, algorithm, ct);
            await transaction.CommitAsync(ct);
        }

        await ReloadAsync(organizationId, ct);
        return key.Id.ToString("N");
    }

    /// <summary>
    /// Retires the organization's current key and adds a new one through <paramref name="db"/>, in the caller's
    /// transaction; after it commits, <see cref="ReloadAsync"/> makes this node sign with the new key at once (the others
    /// learn of it within <c>Signing:KeyRefreshSeconds</c>, and sign with the old one, still published, until then).
    /// </summary>
    public async Task<ServerKey> RotateInAsync(CoditectDbContext db, Guid organizationId, string? algorithm, CancellationToken ct)
    {
        var key = NewKey(algorithm ?? signing.Value.LeaseTokenAlgorithm, organizationId);
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Set<ServerKey>().Where(k => k.Purpose == Purpose && k.OrganizationId == organizationId && k.RetiredAt == null)
            .ExecuteUpdateAsync(k => k.SetProperty(x => x.RetiredAt, now), ct);
        db.Add(key);
        await db.SaveChangesAsync(ct);
        return key;
    }

    /// <summary>Reads the organization's keys again on this node.</summary>
    public async Task<SigningKeySet> ReloadAsync(Guid organizationId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        return Remember(organizationId, await ReadAsync(db, organizationId, ct));
    }

    /// <summary>A page of the keys the organization has had, newest first, with when a retired one leaves its JWKS.</summary>
    public Task<PagedList<SigningKeyResponse>> ListAsync(CoditectDbContext db, Guid organizationId, Paging paging, CancellationToken ct)
    {
        var window = PublicationWindow;
        var rows = db.Set<ServerKey>().AsNoTracking().Where(k => k.Purpose == Purpose && k.OrganizationId == organizationId)
            .OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id)
            .Select(k => new { k.Id, k.Algorithm, k.CreatedAt, k.RetiredAt });
        return paging.ToListAsync(rows, k => new SigningKeyResponse(k.Id.ToString("N"), k.Algorithm, k.RetiredAt is null, k.CreatedAt, k.RetiredAt,
            k.RetiredAt + window), ct);
    }

    /// <summary>Rotates the key of every organization (<c>rotate-signing-key</c> without <c>--org</c>). Returns how many.</summary>
    public async Task<int> RotateAllAsync(string? algorithm, CancellationToken ct)
    {
        List<Guid> organizations;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
            organizations = await db.Set<Organization>().IgnoreQueryFilters().Select(o => o.Id).ToListAsync(ct);
        }

        foreach (var organizationId in organizations)
        {
            await RotateAsync(organizationId, algorithm, ct);
        }

        return organizations.Count;
    }

    private async Task CreateFirstAsync(CoditectDbContext db, Guid organizationId, CancellationToken ct)
    {
        var key = NewKey(signing.Value.LeaseTokenAlgorithm, organizationId);
        db.Add(key);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another node made it first (the unique index on the current key), or the organization was just deleted:
            // either way the caller reads what is there.
            db.Entry(key).State = EntityState.Detached;
        }
    }

    private SigningKeySet Remember(Guid organizationId, List<ServerKey> rows)
    {
        var keys = Build(rows);
        _organizations[organizationId] = keys;
        return keys;
    }

    private SigningKeySet Build(List<ServerKey> rows)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var published = rows
            .Where(r => r.RetiredAt is null || r.RetiredAt.Value + PublicationWindow > now)
            .Select(r => _decrypted.AddOrUpdate(r.Id, _ => Decrypt(r), (_, known) => known with { RetiredAt = r.RetiredAt }))
            .ToList();
        var current = published.Where(k => k.RetiredAt is null).MaxBy(k => (k.CreatedAt, k.KeyId));
        return new SigningKeySet(current, published);
    }

    private static Task<List<ServerKey>> ReadAsync(CoditectDbContext db, Guid? organizationId, CancellationToken ct) =>
        db.Set<ServerKey>().AsNoTracking().Where(k => k.Purpose == Purpose && k.OrganizationId == organizationId)
            .OrderBy(k => k.CreatedAt).ToListAsync(ct);

    private ServerKey NewKey(string algorithm, Guid organizationId)
    {
        var pkcs8 = (TokenAlgorithm.Find(algorithm) ?? throw new ArgumentException($"Unknown signing algorithm '{algorithm}'.", nameof(algorithm)))
            .NewPrivateKey();
        try
        {
            return new ServerKey
            {
                Purpose = Purpose, Algorithm = algorithm, OrganizationId = organizationId, EncryptedKey = masterKey.Encrypt(pkcs8, Purpose),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private SigningKey Decrypt(ServerKey row)
    {
        var algorithm = TokenAlgorithm.Find(row.Algorithm)
            ?? throw new InvalidOperationException($"Signing key {row.Id:N} has the unknown algorithm '{row.Algorithm}'.");
        var pkcs8 = masterKey.Decrypt(row.EncryptedKey, Purpose);
        try
        {
            return new SigningKey(row.Id.ToString("N"), row.Algorithm, algorithm.Import(pkcs8), row.CreatedAt, row.RetiredAt);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }
}

/// <summary>Re-reads the key sets now and then, so every node learns of a rotation made by another.</summary>
public sealed class LeaseSigningKeyRefresher(LeaseSigningKeys keys, IOptions<SigningOptions> options, ILogger<LeaseSigningKeyRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.KeyRefreshSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await keys.RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Could not refresh lease signing keys: {Error}", e.GetBaseException().Message);
            }
        }
    }
}

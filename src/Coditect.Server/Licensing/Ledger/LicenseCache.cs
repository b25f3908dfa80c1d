using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Licensing.Ledger;

/// <summary>
/// Licence snapshots by key hash for the Redis heartbeat path, kept at most <c>Licensing:LicenseCacheSeconds</c>.
/// Changes (of the licence, or its organization's suspension) reach every node within a second through the outbox
/// (every-node delivery, <see cref="RedisSeatLedger.LicenseChangedAsync"/>, <see cref="RedisSeatLedger.OrganizationChangedAsync"/>);
/// the time limit bounds how stale a copy can get if a node cannot read the outbox. Acquires always read PostgreSQL.
/// <para>
/// A copy is reloaded in the background once it is past a point between half and nine tenths of that time, fixed per
/// key within the process: heartbeats keep being answered from the copy meanwhile, and copies loaded at the same moment (a node's first
/// minute, thousands of licences) are not all reloaded at the same moment, which would stall heartbeats behind a burst
/// of PostgreSQL reads.
/// </para>
/// </summary>
public sealed class LicenseCache(IOptions<LicensingOptions> options, ILogger<LicenseCache> logger)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private TimeSpan Limit => TimeSpan.FromSeconds(options.Value.LicenseCacheSeconds);

    public async Task<LicenseSnapshot?> GetAsync(string keyHash, DateTime now, Func<CancellationToken, Task<LicenseSnapshot?>> load, CancellationToken ct)
    {
        if (_entries.TryGetValue(keyHash, out var entry) && now >= entry.LoadedAt && now - entry.LoadedAt < Limit)
        {
            if (now >= entry.ReloadFrom && entry.StartReload())
            {
                _ = ReloadAsync(keyHash, entry, now, load);
            }

            return entry.License;
        }

        var license = await load(ct);
        if (license is null)
        {
            _entries.TryRemove(keyHash, out _);
        }
        else
        {
            _entries[keyHash] = NewEntry(keyHash, license, now);
        }

        return license;
    }

    public void Put(string keyHash, LicenseSnapshot license, DateTime now) => _entries[keyHash] = NewEntry(keyHash, license, now);

    /// <summary>Drops every copy: announcements of changes may have been missed.</summary>
    public void Clear() => _entries.Clear();

    public void Invalidate(Guid licenseId)
    {
        foreach (var (keyHash, entry) in _entries)
        {
            if (entry.License.Id == licenseId)
            {
                _entries.TryRemove(keyHash, out _);
            }
        }
    }

    /// <summary>Drops the copies of an organization's licences (its suspension is part of each copy).</summary>
    public void InvalidateOrganization(Guid organizationId)
    {
        foreach (var (keyHash, entry) in _entries)
        {
            if (entry.License.TenantId == organizationId)
            {
                _entries.TryRemove(keyHash, out _);
            }
        }
    }

    private async Task ReloadAsync(string keyHash, Entry seen, DateTime now, Func<CancellationToken, Task<LicenseSnapshot?>> load)
    {
        try
        {
            var license = await load(CancellationToken.None);
            // Only over the copy this reload started from: a copy dropped meanwhile (a change was announced) stays
            // dropped, and a newer one (an acquire read the licence) is kept.
            if (license is null)
            {
                _entries.TryRemove(new KeyValuePair<string, Entry>(keyHash, seen));
            }
            else
            {
                _entries.TryUpdate(keyHash, NewEntry(keyHash, license, now), seen);
            }
        }
        catch (Exception e)
        {
            // The copy stays until its time is up (a later heartbeat tries the reload again); then a heartbeat loads
            // it itself and meets the same error.
            logger.LogDebug("Background reload of a licence failed: {Error}", e.GetBaseException().Message);
            seen.ReloadFailed();
        }
    }

    /// <summary>
    /// The reload point is between 0.5 and 0.9 of the time limit, the same for a key throughout the process, and worked
    /// out once per copy, not on every heartbeat.
    /// </summary>
    private Entry NewEntry(string keyHash, LicenseSnapshot license, DateTime now) =>
        new(license, now, now + (Limit * (0.5 + (0.4 * ((uint)StringComparer.Ordinal.GetHashCode(keyHash) % 1000) / 1000.0))));

    /// <summary>A copy; compared by reference, so a reload replaces only the very copy it started from.</summary>
    private sealed class Entry(LicenseSnapshot license, DateTime loadedAt, DateTime reloadFrom)
    {
        private int _reloading;

        public LicenseSnapshot License { get; } = license;

        public DateTime LoadedAt { get; } = loadedAt;

        public DateTime ReloadFrom { get; } = reloadFrom;

        /// <summary>True for the one caller that starts this copy's reload.</summary>
        public bool StartReload() => Interlocked.Exchange(ref _reloading, 1) == 0;

        public void ReloadFailed() => Volatile.Write(ref _reloading, 0);
    }
}

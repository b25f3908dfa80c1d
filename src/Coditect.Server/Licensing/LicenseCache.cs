using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Licensing;

/// <summary>
/// Licence snapshots by key hash for the Redis heartbeat path, kept <c>Licensing:LicenseCacheSeconds</c>. So a
/// suspension, expiry or deletion reaches Redis-served heartbeats within that many seconds; acquires always read
/// PostgreSQL and are never affected.
/// </summary>
public sealed class LicenseCache(IOptions<LicensingOptions> options)
{
    private readonly ConcurrentDictionary<string, (LicenseSnapshot License, DateTime LoadedAt)> _entries = new(StringComparer.Ordinal);

    public async Task<LicenseSnapshot?> GetAsync(string keyHash, DateTime now, Func<Task<LicenseSnapshot?>> load)
    {
        if (_entries.TryGetValue(keyHash, out var entry) && now - entry.LoadedAt < TimeSpan.FromSeconds(options.Value.LicenseCacheSeconds)
            && now >= entry.LoadedAt)
        {
            return entry.License;
        }

        var license = await load();
        if (license is null)
        {
            _entries.TryRemove(keyHash, out _);
        }
        else
        {
            _entries[keyHash] = (license, now);
        }

        return license;
    }

    public void Put(string keyHash, LicenseSnapshot license, DateTime now) => _entries[keyHash] = (license, now);

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
}

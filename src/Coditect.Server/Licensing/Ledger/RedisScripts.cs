namespace Coditect.Server.Licensing.Ledger;

/// <summary>
/// The Lua scripts of the Redis lease cache. All keys of one licence share the hash tag <c>{L:id}</c>, so each script
/// touches one Redis Cluster slot. Times are milliseconds of the server's clock (passed in), the same clock that
/// writes PostgreSQL, so both stores agree on when a lease lapses.
/// </summary>
internal static class RedisScripts
{
    public static string Leases(Guid licenseId) => $"cdx:{{L:{licenseId:N}}}:leases";
    public static string Hardware(Guid licenseId) => $"cdx:{{L:{licenseId:N}}}:hw";
    public static string Ready(Guid licenseId) => $"cdx:{{L:{licenseId:N}}}:ready";

    /// <summary>Per session, the lease expiry PostgreSQL has committed (ms): how far Redis may vouch for a lease.</summary>
    public static string Confirmed(Guid licenseId) => $"cdx:{{L:{licenseId:N}}}:pg";

    /// <summary>
    /// KEYS leases, hw, ready, confirmed; ARGV session, now, new expiry, margin. Returns <c>=</c> and the hardware id
    /// when the live lease was extended; <c>!rebuild</c> when this licence's cache is not loaded (Redis lost its data:
    /// rebuild, then retry); <c>!miss</c> when the session is not a live lease here (PostgreSQL answers exactly why);
    /// <c>!pg:</c> and the lease's expiry here when PostgreSQL's committed expiry is less than the margin away, so
    /// PostgreSQL must extend the lease itself. Redis thus only answers for a lease PostgreSQL will still count as live when the write-behind lands.
    /// A lapsed lease is dropped, never extended. A lease that already ends after the new expiry (a borrowed seat) is
    /// never shortened: <c>!pg:</c> too, so PostgreSQL answers it with its borrowed_until.
    /// </summary>
    public const string Heartbeat = """
        if redis.call('EXISTS', KEYS[3]) == 0 then return '!rebuild' end
        local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
        if not score then return '!miss' end
        if tonumber(score) <= tonumber(ARGV[2]) then
            redis.call('ZREM', KEYS[1], ARGV[1])
            redis.call('HDEL', KEYS[2], ARGV[1])
            return '!miss'
        end
        local hardware = redis.call('HGET', KEYS[2], ARGV[1])
        if not hardware then return '!miss' end
        local confirmed = redis.call('HGET', KEYS[4], ARGV[1])
        if not confirmed or tonumber(confirmed) - tonumber(ARGV[2]) < tonumber(ARGV[4]) then return '!pg:' .. score end
        if tonumber(score) > tonumber(ARGV[3]) then return '!pg:' .. score end
        redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
        return '=' .. hardware
        """;

    /// <summary>
    /// KEYS leases, hw, ready, confirmed; ARGV session, expiry, hardware. Caches a lease PostgreSQL just committed (so
    /// its expiry is confirmed too), if the licence's cache is loaded.
    /// </summary>
    public const string Add = """
        if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
        redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
        redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
        redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
        return 1
        """;

    /// <summary>
    /// KEYS pairs of leases, confirmed, one pair per licence (all in one hash slot on Redis Cluster); ARGV per pair the
    /// number of sessions, then that many pairs of session, expiry that a write-behind flush committed. Only sessions
    /// still cached are confirmed (a removed one stays removed), and a confirmed expiry only grows.
    /// </summary>
    public const string Confirm = """
        local a = 1
        for k = 1, #KEYS, 2 do
            local n = tonumber(ARGV[a])
            a = a + 1
            for i = 1, n do
                local session, expiry = ARGV[a], tonumber(ARGV[a + 1])
                a = a + 2
                if redis.call('ZSCORE', KEYS[k], session) then
                    local current = tonumber(redis.call('HGET', KEYS[k + 1], session) or '0')
                    if expiry > current then redis.call('HSET', KEYS[k + 1], session, expiry) end
                end
            end
        end
        return 1
        """;

    /// <summary>KEYS leases, hw, ready, confirmed; ARGV sessions. Forgets leases PostgreSQL ended. Returns how many were still cached.</summary>
    public const string Remove = """
        local removed = 0
        for i = 1, #ARGV do
            removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
            redis.call('HDEL', KEYS[2], ARGV[i])
            redis.call('HDEL', KEYS[4], ARGV[i])
        end
        return removed
        """;

    /// <summary>KEYS leases, hw, ready, confirmed. Drops everything cached for a licence that was deleted.</summary>
    public const string Drop = """
        return redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
        """;

    /// <summary>
    /// KEYS leases, hw, ready, confirmed; ARGV triples of session, expiry, hardware, read from PostgreSQL. Loads the
    /// licence's cache unless another node loaded it first.
    /// </summary>
    public const string Rebuild = """
        if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
        redis.call('DEL', KEYS[1], KEYS[2], KEYS[4])
        for i = 1, #ARGV, 3 do
            redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])
            redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
            redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1])
        end
        redis.call('SET', KEYS[3], '1')
        return 1
        """;
}

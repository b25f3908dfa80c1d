using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Coditect.Server.Licensing.Ledger;
using StackExchange.Redis;

namespace Coditect.Bench;

/// <summary>
/// The machine's own limit for Redis heartbeats (issue 17 §2, docs/decisions.md): <c>Coditect.Bench redis-loop --redis
/// HOST:PORT [--sessions N] [--concurrency C] [--seconds S] [--redis-pid PID]</c>. Prepares one licence's keys as the
/// server does (N live sessions ending in 30 minutes, their hardware ids, a confirmed expiry as far, the ready
/// flag), then C callers in this process each call the Redis ledger's own heartbeat script
/// (<c>RedisScripts.Heartbeat</c>, with the server's arguments) on a random session, one after another, for S seconds,
/// over one StackExchange.Redis connection as a server node does. Every call must take the full path and answer
/// <c>=&lt;hardware&gt;</c>. No HTTP, no JSON, no signing, no PostgreSQL: what the Redis path alone allows with this load
/// generator on this machine. Prints one JSON object, with the CPU this process and Redis used.
/// </summary>
internal static class RedisLoop
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? endpoint = null;
        int sessions = 5000, concurrency = 64, redisPid = 0;
        var seconds = 10.0;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--redis": endpoint = value; break;
                case "--sessions": sessions = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--concurrency": concurrency = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--redis-pid": redisPid = int.Parse(value, CultureInfo.InvariantCulture); break;
                default: endpoint = null; i = args.Length; break;
            }
        }

        if (endpoint is null || args.Length % 2 != 0 || sessions < 1 || concurrency < 1 || seconds <= 0)
        {
            Console.Error.WriteLine("usage: Coditect.Bench redis-loop --redis HOST:PORT [--sessions N] [--concurrency C] [--seconds S] [--redis-pid PID]");
            return 2;
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync(endpoint);
        var db = redis.GetDatabase();
        var license = Guid.NewGuid();
        RedisKey[] keys = [RedisScripts.Leases(license), RedisScripts.Hardware(license), RedisScripts.Ready(license), RedisScripts.Confirmed(license)];
        var ids = Enumerable.Range(0, sessions).Select(_ => Guid.NewGuid().ToString("N")).ToArray();
        // Live leases that end before the new expiry (a heartbeat never shortens one: a borrowed seat's is answered by
        // PostgreSQL), confirmed in PostgreSQL far ahead, so every call takes the full path and extends its lease.
        var lease = DateTimeOffset.UtcNow.AddMinutes(30).ToUnixTimeMilliseconds();
        var far = DateTimeOffset.UtcNow.AddYears(10).ToUnixTimeMilliseconds();
        await db.SortedSetAddAsync(keys[0], [.. ids.Select(id => new SortedSetEntry(id, lease))]);
        await db.HashSetAsync(keys[1], [.. ids.Select((id, n) => new HashEntry(id, $"hw-{n}"))]);
        await db.HashSetAsync(keys[3], [.. ids.Select(id => new HashEntry(id, far))]);
        await db.StringSetAsync(keys[2], "1");

        // The server's arguments (RedisSeatLedger.HeartbeatInRedisAsync): session, now, new expiry, the confirmed margin
        // of a one-hour lease (heartbeat interval + two write-behind flushes), all in Unix milliseconds.
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var expiry = now + 3_600_000;
        var margin = 1_202_000;
        var probe = (string?)await db.ScriptEvaluateAsync(RedisScripts.Heartbeat, keys, [ids[0], now, expiry, margin]);
        if (probe != "=hw-0")
        {
            Console.Error.WriteLine($"redis-loop: the heartbeat script answered '{probe}' on the prepared keys, not =hw-0");
            return 1;
        }

        var sampler = new CpuSampler(redisPid > 0 ? [redisPid] : [], null);
        var latencies = new LatencyHistogram();
        long calls = 0, wrong = 0;
        var first = sampler.Take();
        var clock = Stopwatch.StartNew();
        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async caller =>
        {
            var random = new Random(caller);
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var n = random.Next(sessions);
                var started = Stopwatch.GetTimestamp();
                var answer = (string?)await db.ScriptEvaluateAsync(RedisScripts.Heartbeat, keys, [ids[n], now, expiry, margin]);
                latencies.Record(Stopwatch.GetElapsedTime(started).Ticks / 10);
                Interlocked.Increment(ref calls);
                if (answer != $"=hw-{n}")
                {
                    Interlocked.Increment(ref wrong);
                }
            }
        }));
        var elapsed = clock.Elapsed.TotalSeconds;
        var cpu = first is { } a && sampler.Take() is { } b ? CpuWindow.Between(a, b) : null;
        var live = await db.SortedSetLengthAsync(keys[0]);
        await db.KeyDeleteAsync(keys);

        Console.WriteLine(JsonSerializer.Serialize(new
        {
            calls_per_second = Math.Round(calls / elapsed),
            calls,
            wrong_answers = wrong,
            leases_kept = live == sessions,
            concurrency,
            p50_ms = latencies.Percentile(50) / 1000.0,
            p99_ms = latencies.Percentile(99) / 1000.0,
            load_generator_cores = cpu?.Generator,
            redis_cores = cpu?.Server,
            idle_cores = cpu?.Idle,
        }));
        return wrong == 0 && live == sessions ? 0 : 1;
    }
}

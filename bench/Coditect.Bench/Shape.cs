using System.Diagnostics;

namespace Coditect.Bench;

/// <summary>
/// The data a scenario runs on, created through the API: (c) hot = one licence with many seats, (d) cold = many
/// licences with few seats each; plus sessions acquired beforehand and held (heartbeated) during the run, so seats are
/// in use as they would be in production.
/// </summary>
internal sealed class Shape
{
    private readonly string[] _keys;
    private readonly Guid[] _ids;
    private readonly (string Key, Guid SessionId)[] _held;

    private Shape(string name, int seats, string[] keys, Guid[] ids, (string, Guid)[] held, SetupTimes times)
    {
        Name = name;
        Seats = seats;
        _keys = keys;
        _ids = ids;
        _held = held;
        Times = times;
    }

    public string Name { get; }

    public int Seats { get; }

    public int Licenses => _keys.Length;

    public int HeldSessions => _held.Length;

    public SetupTimes Times { get; }

    /// <summary>Spreads iterations over the licences with a stride co-prime to their count, so neighbours differ.</summary>
    public string LicenseFor(long sequence) => _keys[(int)((ulong)(sequence * 7919) % (ulong)_keys.Length)];

    /// <summary>The id of licence <paramref name="index"/> (in creation order; the console's pages address licences by id).</summary>
    public Guid LicenseId(int index) => _ids[index];

    public (string Key, Guid SessionId) HeldSession(long sequence) => _held[(int)(sequence % _held.Length)];

    /// <summary>Creates the licences in parallel, then acquires <paramref name="held"/> sessions spread over them.</summary>
    public static async Task<Shape> CreateAsync(CoditectApi api, string name, int licenses, int seats, int held, int concurrency, CancellationToken ct)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct };
        var keys = new string[licenses];
        var ids = new Guid[licenses];
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, licenses), parallel, async (i, token) =>
            (ids[i], keys[i]) = await api.CreateLicenseAsync($"bench {name} {i}", seats, token));
        var createSeconds = clock.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"[bench] {name}: {licenses} licence(s) x {seats} seats created in {createSeconds:F1} s");

        var sessions = new (string, Guid)[held];
        clock.Restart();
        await Parallel.ForEachAsync(Enumerable.Range(0, held), parallel, async (i, token) =>
        {
            var key = keys[i % licenses];
            var answer = await api.AcquireAsync(key, $"held-{name}-{i}", token);
            sessions[i] = answer.IsSuccess
                ? (key, answer.SessionId())
                : throw new InvalidOperationException($"acquiring held session {i} answered {answer.Status}: {answer.Text}");
        });
        var acquireSeconds = clock.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"[bench] {name}: {held} held session(s) acquired in {acquireSeconds:F1} s");
        return new Shape(name, seats, keys, ids, sessions, new SetupTimes(createSeconds, acquireSeconds));
    }
}

internal sealed record SetupTimes(double CreateLicensesSeconds, double AcquireHeldSeconds);

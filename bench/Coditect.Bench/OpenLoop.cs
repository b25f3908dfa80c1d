using System.Diagnostics;

namespace Coditect.Bench;

/// <summary>
/// Drives a workload at a fixed arrival rate (an open model). Request i is due at start + i/rate and is sent then,
/// whether or not earlier requests have been answered; its latency runs from that intended start, so a server (or a
/// generator) that falls behind shows up in the percentiles instead of silently lowering the offered rate
/// (coordinated omission). Requests due during the warm-up are sent but not recorded. A bounded number may be
/// outstanding; a request due beyond that bound is counted as dropped, an error, never queued. With a
/// <see cref="CpuSampler"/>, the CPU of the servers, PostgreSQL, the generator itself and the rest of the machine is
/// measured over the measured window (from its first request sent to its last), so every rate shows what it cost.
/// </summary>
internal sealed class OpenLoop(int maxInFlight, TimeSpan timeout, CpuSampler? cpu = null, Timeline? timeline = null)
{
    private long _inFlight;

    public async Task<StepResult> RunAsync(IWorkload workload, double rate, TimeSpan warmup, TimeSpan duration, ProcessMemory memory, CancellationToken ct)
    {
        var stats = workload.Operations.ToDictionary(op => op, op => new OperationStats(op));
        var warmupCount = (long)(rate * warmup.TotalSeconds);
        var total = warmupCount + (long)(rate * duration.TotalSeconds);
        var ticksPerRequest = Stopwatch.Frequency / rate;
        var rssBefore = memory.Sample();
        var start = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 100);
        var windowStart = start + (long)(warmupCount * ticksPerRequest);
        CpuSampler.Sample? cpuFirst = null;
        using var ticking = timeline?.Start(() => Interlocked.Read(ref _inFlight));

        for (long i = 0; i < total && !ct.IsCancellationRequested; i++)
        {
            var intended = start + (long)(i * ticksPerRequest);
            var wait = intended - Stopwatch.GetTimestamp();
            if (wait > Stopwatch.Frequency / 1000)
            {
                await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), ct);
            }

            if (i == warmupCount)
            {
                cpuFirst = cpu?.Take();
            }

            var measured = i >= warmupCount ? stats : null;
            if (Interlocked.Read(ref _inFlight) >= maxInFlight)
            {
                if (measured is not null)
                {
                    stats[workload.OperationFor(i)].Drop();
                }

                continue;
            }

            Interlocked.Increment(ref _inFlight);
            _ = RunOneAsync(workload, i, intended, measured, ct);
        }

        var cpuWindow = cpuFirst is { } first && cpu?.Take() is { } last ? CpuWindow.Between(first, last) : null;

        // Bounded drain: every call gives up after the client timeout, and a workload makes at most a few calls.
        var deadline = Stopwatch.GetTimestamp() + (long)(Stopwatch.Frequency * (3 * timeout.TotalSeconds + 5));
        while (Interlocked.Read(ref _inFlight) > 0 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(20, CancellationToken.None);
        }

        var rssAfter = memory.Sample();
        return new StepResult(rate, windowStart, stats, Interlocked.Read(ref _inFlight), rssBefore, rssAfter, cpuWindow);
    }

    private async Task RunOneAsync(IWorkload workload, long sequence, long intended, Dictionary<string, OperationStats>? stats, CancellationToken ct)
    {
        try
        {
            await Task.Yield();
            await workload.RunOnceAsync(sequence, intended, stats, ct);
        }
#pragma warning disable CA1031 // one failed request must never end the run; workloads record their own failures
        catch (Exception error)
#pragma warning restore CA1031
        {
            stats?[workload.OperationFor(sequence)].Failed(error, intended, Stopwatch.GetTimestamp());
        }
        finally
        {
            timeline?.Completed(Stopwatch.GetTimestamp() - intended);
            Interlocked.Decrement(ref _inFlight);
        }
    }
}

/// <summary>One fixed-rate step: what each operation did in the measured window, and the servers' memory around it.</summary>
internal sealed record StepResult(
    double Rate,
    long WindowStartTimestamp,
    IReadOnlyDictionary<string, OperationStats> Operations,
    long StillInFlight,
    IReadOnlyList<long> RssBeforeKb,
    IReadOnlyList<long> RssAfterKb,
    CpuWindow? Cpu = null)
{
    public long Errors => Operations.Values.Sum(op => op.Errors) + StillInFlight;

    public double Achieved(OperationStats op)
    {
        var seconds = (double)(op.LastCompletionTimestamp - WindowStartTimestamp) / Stopwatch.Frequency;
        return op.Successes == 0 || seconds <= 0 ? 0 : op.Successes / seconds;
    }
}

/// <summary>Resident memory of the server processes (by pid, from /proc), in KiB; 0 when unknown.</summary>
internal sealed class ProcessMemory(IReadOnlyList<int> pids)
{
    public IReadOnlyList<int> Pids { get; } = pids;

    public IReadOnlyList<long> Sample() => Pids.Select(Rss).ToArray();

    private static long Rss(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or FormatException)
        {
            return 0;
        }
    }
}

/// <summary>
/// Writes one line a second while a step runs: the Unix time (ms), requests in flight, requests completed in that second,
/// the slowest of them (ms, from its intended start), and the machine's CPU in that second from /proc/stat (busy, steal
/// and idle, in cores). A stall shows as a second with few completions and a slow maximum; the server's own events (GC
/// pauses) can then be lined up with it by time. Plain text, space separated, appended.
/// </summary>
internal sealed class Timeline(string path)
{
    private long _completed;
    private long _slowestTicks;

    public void Completed(long ticks)
    {
        Interlocked.Increment(ref _completed);
        long seen;
        while (ticks > (seen = Interlocked.Read(ref _slowestTicks)) && Interlocked.CompareExchange(ref _slowestTicks, ticks, seen) != seen)
        {
        }
    }

    public IDisposable Start(Func<long> inFlight)
    {
        var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            var last = Cpu();
            await using var file = new StreamWriter(path, append: true);
            while (await Tick(timer, stop.Token))
            {
                var now = Cpu();
                var completed = Interlocked.Exchange(ref _completed, 0);
                var slowest = Interlocked.Exchange(ref _slowestTicks, 0) * 1000.0 / Stopwatch.Frequency;
                var total = Math.Max(1, now.Total - last.Total);
                var cores = Environment.ProcessorCount;
                await file.WriteLineAsync(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} {inFlight()} {completed} {slowest:F1} busy={cores * (double)(now.Busy - last.Busy) / total:F2} steal={cores * (double)(now.Steal - last.Steal) / total:F2} idle={cores * (double)(now.Idle - last.Idle) / total:F2}"));
                await file.FlushAsync();
                last = now;
            }
        });
        return new Stopper(stop);
    }

    private static async Task<bool> Tick(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private sealed class Stopper(CancellationTokenSource stop) : IDisposable
    {
        public void Dispose()
        {
            stop.Cancel();
            stop.Dispose();
        }
    }

    private static (long Busy, long Steal, long Idle, long Total) Cpu()
    {
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(long.Parse).ToArray();
        var idle = f[3] + f[4];
        return (f.Sum() - idle - f[7], f[7], idle, f.Sum());
    }
}

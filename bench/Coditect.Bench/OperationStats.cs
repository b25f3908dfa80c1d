using System.Collections.Concurrent;
using System.Diagnostics;

namespace Coditect.Bench;

/// <summary>
/// What one operation (acquire, heartbeat, release, a console page) did during the measured window of one step. Every
/// answer lands in exactly one bucket: a 2xx success, a non-2xx status (by code), an invalid answer (a status the
/// operation does not accept although 2xx, or a body that is not what it must be: a console page without
/// <c>&lt;/html&gt;</c>), a transport failure (refused, reset, timeout), or a request the generator never sent because
/// too many were already outstanding.
/// </summary>
internal sealed class OperationStats(string name)
{
    private const int KeptSamples = 3;
    private readonly ConcurrentDictionary<int, long> _statuses = new();
    private readonly ConcurrentDictionary<string, long> _transport = new();
    private readonly ConcurrentDictionary<string, long> _invalid = new();
    private readonly ConcurrentQueue<string> _samples = new();
    private long _successes;
    private long _dropped;
    private long _lastCompletion;

    public string Name { get; } = name;

    public LatencyHistogram Latency { get; } = new();

    public long Successes => Volatile.Read(ref _successes);

    public long Dropped => Volatile.Read(ref _dropped);

    public long NonSuccessStatuses => _statuses.Values.Sum();

    public long TransportErrors => _transport.Values.Sum();

    public long InvalidAnswers => _invalid.Values.Sum();

    public long Errors => NonSuccessStatuses + TransportErrors + InvalidAnswers + Dropped;

    public IReadOnlyDictionary<int, long> Statuses => _statuses;

    public IReadOnlyDictionary<string, long> Transport => _transport;

    public IReadOnlyDictionary<string, long> Invalid => _invalid;

    public IEnumerable<string> ErrorSamples => _samples;

    public long LastCompletionTimestamp => Volatile.Read(ref _lastCompletion);

    /// <summary>Records an answer; latency runs from the request's intended start, not from when it was sent.</summary>
    public void Answered(int status, long intendedTimestamp, long doneTimestamp, string? body)
    {
        Latency.Record(Microseconds(doneTimestamp - intendedTimestamp));
        Completed(doneTimestamp);
        if (status is >= 200 and < 300)
        {
            Interlocked.Increment(ref _successes);
            return;
        }

        _statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
        Sample($"{status}: {Trim(body)}");
    }

    /// <summary>An answer that arrived but is wrong in a way its status does not say (<paramref name="kind"/>: why).</summary>
    public void Rejected(string kind, long intendedTimestamp, long doneTimestamp, string? body)
    {
        Latency.Record(Microseconds(doneTimestamp - intendedTimestamp));
        Completed(doneTimestamp);
        _invalid.AddOrUpdate(kind, 1, (_, n) => n + 1);
        Sample($"{kind}: {Trim(body)}");
    }

    public void Failed(Exception error, long intendedTimestamp, long doneTimestamp)
    {
        Latency.Record(Microseconds(doneTimestamp - intendedTimestamp));
        Completed(doneTimestamp);
        var kind = error switch
        {
            TaskCanceledException or TimeoutException => "timeout",
            HttpRequestException http when http.HttpRequestError != HttpRequestError.Unknown => http.HttpRequestError.ToString(),
            _ => error.GetType().Name,
        };
        _transport.AddOrUpdate(kind, 1, (_, n) => n + 1);
        Sample($"{kind}: {Trim(error.Message)}");
    }

    public void Drop() => Interlocked.Increment(ref _dropped);

    private void Completed(long doneTimestamp)
    {
        var last = Volatile.Read(ref _lastCompletion);
        while (doneTimestamp > last)
        {
            var seen = Interlocked.CompareExchange(ref _lastCompletion, doneTimestamp, last);
            if (seen == last)
            {
                break;
            }

            last = seen;
        }
    }

    private void Sample(string text)
    {
        if (_samples.Count < KeptSamples)
        {
            _samples.Enqueue(text);
        }
    }

    private static string Trim(string? text) => text is null ? "" : text.Length <= 300 ? text : text[..300] + "...";

    public static long Microseconds(long stopwatchTicks) => stopwatchTicks * 1_000_000 / Stopwatch.Frequency;
}

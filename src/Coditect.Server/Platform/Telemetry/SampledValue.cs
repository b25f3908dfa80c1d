namespace Coditect.Server.Platform.Telemetry;

/// <summary>
/// A value an observable gauge reports that costs a query to know (seats in use across the cluster, outbox lag): read
/// at most once per <c>Metrics:RefreshSeconds</c>, in the background, and only when a scrape asks for it, so a node no
/// one scrapes never queries and a busy scraper never queries more. A scrape gets the last value read; the very first
/// one waits briefly for the first read. A failed read drops the value (the gauge goes absent rather than stale) and
/// logs at most one line per 10 s.
/// </summary>
public sealed class SampledValue<T>(Func<CancellationToken, Task<T>> read, TimeSpan maxAge, ILogger logger, string what)
    where T : class
{
    private static readonly TimeSpan FirstReadWait = TimeSpan.FromSeconds(2);
    private readonly LogThrottle _failures = new(TimeSpan.FromSeconds(10));
    private readonly Lock _lock = new();
    private T? _value;
    private long _readAt = long.MinValue / 2;
    private Task? _reading;

    /// <summary>The last value read (null before the first or after a failure); starts a read when it is too old.</summary>
    public T? Current
    {
        get
        {
            Task? first = null;
            lock (_lock)
            {
                if (_reading is null && Environment.TickCount64 - _readAt >= (long)maxAge.TotalMilliseconds)
                {
                    _readAt = Environment.TickCount64; // a failed read is retried after maxAge too
                    _reading = Task.Run(ReadAsync);
                    first = _value is null ? _reading : null;
                }
            }

            // Observable-gauge callbacks are synchronous: only a node's first scrape ever waits here, and briefly.
            first?.Wait(FirstReadWait);
            return Volatile.Read(ref _value);
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            Volatile.Write(ref _value, await read(timeout.Token));
        }
        catch (Exception e)
        {
            Volatile.Write(ref _value, null);
            if (_failures.Count(out var count))
            {
                logger.LogWarning("Could not read {What} for /metrics ({Count} failures since the last such line): {Error}",
                    what, count, e.GetBaseException().Message);
            }
        }
        finally
        {
            lock (_lock)
            {
                _reading = null;
            }
        }
    }
}

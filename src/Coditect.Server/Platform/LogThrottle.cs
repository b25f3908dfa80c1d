namespace Coditect.Server.Platform;

/// <summary>
/// Lets one log line through per interval for an event that can happen thousands of times a second, and says how many
/// events the line stands for. Thread-safe without a lock.
/// </summary>
public sealed class LogThrottle(TimeSpan interval)
{
    private readonly long _intervalMilliseconds = (long)interval.TotalMilliseconds;
    private long _lastLineTicks = long.MinValue / 2;
    private long _sinceLine;

    /// <summary>Counts one event; true when it should be logged, with the events since the last line, this one included.</summary>
    public bool Count(out long events)
    {
        events = Interlocked.Increment(ref _sinceLine);
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastLineTicks);
        if (now - last < _intervalMilliseconds || Interlocked.CompareExchange(ref _lastLineTicks, now, last) != last)
        {
            return false;
        }

        Interlocked.Add(ref _sinceLine, -events);
        return true;
    }
}

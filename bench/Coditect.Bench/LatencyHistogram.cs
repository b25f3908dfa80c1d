namespace Coditect.Bench;

/// <summary>
/// An HDR-style log-linear histogram of latencies in microseconds: exact below 256 µs, then 128 sub-buckets per power
/// of two (under 0.8 % relative error), up to about 19 hours. Constant memory, lock-free recording, so a long run at
/// a high rate costs no more than a short one. Percentiles report the upper bound of their bucket (never optimistic).
/// </summary>
internal sealed class LatencyHistogram
{
    private const int Linear = 256;
    private const int SubBuckets = 128;
    private const int Shifts = 30;
    private readonly long[] _counts = new long[Linear + (Shifts * SubBuckets)];
    private long _total;
    private long _max;

    public long Count => Volatile.Read(ref _total);

    public long MaxMicroseconds => Volatile.Read(ref _max);

    public void Record(long microseconds)
    {
        var value = Math.Max(0, microseconds);
        Interlocked.Increment(ref _counts[Index(value)]);
        Interlocked.Increment(ref _total);
        var max = Volatile.Read(ref _max);
        while (value > max)
        {
            var seen = Interlocked.CompareExchange(ref _max, value, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }
    }

    /// <summary>The smallest recorded-bucket upper bound at or below which <paramref name="percentile"/> % of values lie.</summary>
    public long Percentile(double percentile)
    {
        var total = Count;
        if (total == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(percentile / 100.0 * total);
        rank = Math.Clamp(rank, 1, total);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Volatile.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return Math.Min(UpperBound(i), MaxMicroseconds);
            }
        }

        return MaxMicroseconds;
    }

    internal static int Index(long value)
    {
        if (value < Linear)
        {
            return (int)value;
        }

        var msb = 63 - (int)long.LeadingZeroCount(value);
        var shift = Math.Min(msb - 7, Shifts);
        if (shift == Shifts)
        {
            return Linear + (Shifts * SubBuckets) - 1;
        }

        var sub = (int)(value >> shift);
        return Linear + ((shift - 1) * SubBuckets) + (sub - SubBuckets);
    }

    internal static long UpperBound(int index)
    {
        if (index < Linear)
        {
            return index;
        }

        var shift = ((index - Linear) / SubBuckets) + 1;
        var sub = ((index - Linear) % SubBuckets) + SubBuckets;
        return ((long)(sub + 1) << shift) - 1;
    }
}

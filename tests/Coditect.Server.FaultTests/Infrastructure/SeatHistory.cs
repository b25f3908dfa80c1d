namespace Coditect.Server.FaultTests.Infrastructure;

/// <summary>A seat held over [Start, End).</summary>
public readonly record struct SeatInterval(DateTime Start, DateTime End, string Label);

/// <summary>What the sweep found: the most seats held at once, from when, and by whom.</summary>
public sealed record Overlap(int Max, DateTime At, IReadOnlyList<string> Holders)
{
    public override string ToString() => $"{Max} seat(s) held at {At:HH:mm:ss.ffffff}: {string.Join(", ", Holders.Take(60))}";
}

/// <summary>Checks a recorded seat history: never more holders at one instant than seats.</summary>
public static class SeatHistory
{
    /// <summary>
    /// Sweep line over half-open intervals: at an instant where one seat ends and another starts, the end counts first
    /// (a seat released at t may be taken at t). Empty intervals hold nothing.
    /// </summary>
    public static Overlap MaxOverlap(IEnumerable<SeatInterval> intervals)
    {
        var events = intervals.Where(i => i.End > i.Start)
            .SelectMany(i => new[] { (Time: i.Start, Delta: +1, i.Label), (Time: i.End, Delta: -1, i.Label) })
            .OrderBy(e => e.Time).ThenBy(e => e.Delta)
            .ToList();
        var held = new HashSet<string>(StringComparer.Ordinal);
        var best = new Overlap(0, default, []);
        foreach (var (time, delta, label) in events)
        {
            if (delta > 0)
            {
                held.Add(label);
                if (held.Count > best.Max)
                {
                    best = new Overlap(held.Count, time, [.. held]);
                }
            }
            else
            {
                held.Remove(label);
            }
        }

        return best;
    }

    /// <summary>Pairs of sessions of one hardware id whose seats overlap (one machine holding two seats).</summary>
    public static IReadOnlyList<(SessionRecord First, SessionRecord Second)> SameHardwareOverlaps(IEnumerable<SessionRecord> sessions)
    {
        var overlaps = new List<(SessionRecord, SessionRecord)>();
        foreach (var machine in sessions.Where(s => s.End > s.StartedAt).GroupBy(s => s.HardwareId, StringComparer.Ordinal))
        {
            SessionRecord? latest = null; // of the sessions so far, the one that ends last
            foreach (var session in machine.OrderBy(s => s.StartedAt))
            {
                if (latest is not null && session.StartedAt < latest.End)
                {
                    overlaps.Add((latest, session));
                }

                if (latest is null || session.End > latest.End)
                {
                    latest = session;
                }
            }
        }

        return overlaps;
    }

    /// <summary>
    /// The spans over which a seat was free (fewer than <paramref name="seats"/> held) while a ticket waited, longest
    /// first. Events at one instant are applied together: a seat released at t and offered at t was never free.
    /// </summary>
    public static IReadOnlyList<SeatInterval> IdleWhileWaiting(IEnumerable<SeatInterval> held, IEnumerable<SeatInterval> waiting, int seats)
    {
        var events = held.Where(i => i.End > i.Start).SelectMany(i => new[] { (Time: i.Start, Held: +1, Waiting: 0), (Time: i.End, Held: -1, Waiting: 0) })
            .Concat(waiting.Where(i => i.End > i.Start).SelectMany(i => new[] { (Time: i.Start, Held: 0, Waiting: +1), (Time: i.End, Held: 0, Waiting: -1) }))
            .GroupBy(e => e.Time).OrderBy(g => g.Key);
        var (holding, queued) = (0, 0);
        DateTime? idleSince = null;
        var idle = new List<SeatInterval>();
        foreach (var instant in events)
        {
            holding += instant.Sum(e => e.Held);
            queued += instant.Sum(e => e.Waiting);
            var isIdle = holding < seats && queued > 0;
            if (isIdle && idleSince is null)
            {
                idleSince = instant.Key;
            }
            else if (!isIdle && idleSince is { } since)
            {
                idle.Add(new SeatInterval(since, instant.Key, $"{holding} held, {queued} waiting after"));
                idleSince = null;
            }
        }

        return [.. idle.OrderByDescending(i => i.End - i.Start)];
    }
}

using System.Diagnostics;

namespace Coditect.Bench;

/// <summary>One iteration of a scenario, repeated at the fixed rate.</summary>
internal interface IWorkload
{
    /// <summary>The operations it records; the first is the one the rate counts (see <see cref="OperationFor"/> for drops).</summary>
    IReadOnlyList<string> Operations { get; }

    /// <summary>The operation iteration <paramref name="sequence"/> starts with: drops and unexpected failures are charged to it.</summary>
    string OperationFor(long sequence) => Operations[0];

    /// <summary>Runs iteration <paramref name="sequence"/>; records into <paramref name="stats"/> unless it is null (warm-up).</summary>
    Task RunOnceAsync(long sequence, long intendedTimestamp, IReadOnlyDictionary<string, OperationStats>? stats, CancellationToken ct);
}

/// <summary>
/// Scenario (a): acquire a seat with a new hardware id, then release it as soon as the acquire is answered. The rate
/// counts acquires. The release is timed from the acquire's answer (when a client would send it).
/// </summary>
internal sealed class ChurnWorkload(CoditectApi api, Shape shape) : IWorkload
{
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    public IReadOnlyList<string> Operations { get; } = ["acquire", "release"];

    public async Task RunOnceAsync(long sequence, long intendedTimestamp, IReadOnlyDictionary<string, OperationStats>? stats, CancellationToken ct)
    {
        var key = shape.LicenseFor(sequence);
        Answer acquired;
        try
        {
            acquired = await api.AcquireAsync(key, $"churn-{_run}-{sequence}", ct);
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or IOException)
        {
            stats?["acquire"].Failed(error, intendedTimestamp, Stopwatch.GetTimestamp());
            return;
        }

        stats?["acquire"].Answered(acquired.Status, intendedTimestamp, acquired.DoneTimestamp, acquired.IsSuccess ? null : acquired.Text);
        if (!acquired.IsSuccess)
        {
            return;
        }

        var releaseStart = Stopwatch.GetTimestamp();
        try
        {
            var released = await api.ReleaseAsync(key, acquired.SessionId(), ct);
            stats?["release"].Answered(released.Status, releaseStart, released.DoneTimestamp, released.IsSuccess ? null : released.Text);
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or IOException)
        {
            stats?["release"].Failed(error, releaseStart, Stopwatch.GetTimestamp());
        }
    }
}

/// <summary>Scenario (b): heartbeats from sessions acquired beforehand, taken in turn.</summary>
internal sealed class HeartbeatWorkload(CoditectApi api, Shape shape) : IWorkload
{
    public IReadOnlyList<string> Operations { get; } = ["heartbeat"];

    public async Task RunOnceAsync(long sequence, long intendedTimestamp, IReadOnlyDictionary<string, OperationStats>? stats, CancellationToken ct)
    {
        var (key, sessionId) = shape.HeldSession(sequence);
        try
        {
            var answer = await api.HeartbeatAsync(key, sessionId, ct);
            stats?["heartbeat"].Answered(answer.Status, intendedTimestamp, answer.DoneTimestamp, answer.IsSuccess ? null : answer.Text);
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or IOException)
        {
            stats?["heartbeat"].Failed(error, intendedTimestamp, Stopwatch.GetTimestamp());
        }
    }
}

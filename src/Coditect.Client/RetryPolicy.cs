namespace Coditect.Client;

/// <summary>
/// How the SDK retries a request that failed for a transient reason (no answer, 429, 503, 5xx): exponential back-off
/// with jitter, never sooner than the server's <c>Retry-After</c>. Jitter spreads the retries of many clients that lost
/// the server at the same moment, so they do not return in one storm.
/// </summary>
public sealed class RetryPolicy
{
    /// <summary>The delay before the first retry (before jitter). Default 1 second.</summary>
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between two attempts. Default 60 seconds.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The factor between consecutive delays. Default 2.</summary>
    public double Multiplier { get; set; } = 2;

    /// <summary>
    /// How many attempts a one-off call (<see cref="LicenseClient.AcquireAsync(string, CancellationToken)"/>, validate, release)
    /// makes in all before it gives up. A lease's heartbeats ignore this: they retry until the lease runs out. Default 3.
    /// </summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>
    /// The delay before retry number <paramref name="attempt"/> (0 for the first retry): "equal jitter", a uniformly random
    /// value between half and all of <c>min(MaxDelay, InitialDelay * Multiplier^attempt)</c>, and at least
    /// <paramref name="retryAfter"/> when the server sent one.
    /// </summary>
    /// <param name="attempt">The retry's number, from 0.</param>
    /// <param name="retryAfter">The server's <c>Retry-After</c>, if any.</param>
    /// <param name="random">A value in [0, 1) that places the delay within its jitter range.</param>
    /// <returns>How long to wait.</returns>
    public TimeSpan DelayFor(int attempt, TimeSpan? retryAfter, double random)
    {
        var ceiling = Math.Min(MaxDelay.TotalMilliseconds,
            InitialDelay.TotalMilliseconds * Math.Pow(Math.Max(1, Multiplier), Math.Min(Math.Max(0, attempt), 62)));
        var delay = TimeSpan.FromMilliseconds(ceiling / 2 + (ceiling / 2 * Clamp(random)));
        return retryAfter is { } after && after > delay ? after : delay;
    }

    internal static double Clamp(double random) => random < 0 ? 0 : random >= 1 ? 0.999_999 : random;

    /// <summary>Runs a one-off call, retrying transient failures up to <see cref="MaxAttempts"/> times in all.</summary>
    internal async Task<T> RunAsync<T>(TimeProvider clock, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call(ct).ConfigureAwait(false);
            }
            catch (CoditectException e) when (e.IsTransient && attempt + 1 < Math.Max(1, MaxAttempts))
            {
                await Jitter.Delay(clock, DelayFor(attempt, e.RetryAfter, Jitter.Next()), ct).ConfigureAwait(false);
            }
        }
    }
}

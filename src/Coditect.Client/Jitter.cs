namespace Coditect.Client;

/// <summary>Random numbers for jitter (not for security), and the time-provider-aware delay both targets share.</summary>
internal static class Jitter
{
    private static readonly object Gate = new();
#pragma warning disable CA5394 // Jitter spreads retries; it needs no cryptographic randomness.
    private static readonly Random Source = new();

    public static double Next()
    {
        lock (Gate)
        {
            return Source.NextDouble();
        }
    }
#pragma warning restore CA5394

    public static Task Delay(TimeProvider clock, TimeSpan delay, CancellationToken ct)
    {
        if (delay <= TimeSpan.Zero)
        {
            return Task.CompletedTask;
        }
#if NET
        return Task.Delay(delay, clock, ct);
#else
        return clock.Delay(delay, ct);
#endif
    }
}

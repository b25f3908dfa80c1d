using System.Diagnostics;

namespace Coditect.Server.Licensing.Ledger;

/// <summary>
/// Lets one call at a time per licence (per stripe of licences) of this node go to PostgreSQL for the calls that take
/// the licence row lock: acquire and release. They run one at a time in PostgreSQL anyway; what the gate changes is how
/// many wait there. Without it a node sends a hot licence as many waiters as its connection pool holds, and the row
/// lock's hand-off slows down the more of them queue (measured: docs/performance.md). With it the lock has at most one
/// waiter per node, and the rest wait here, holding no connection.
/// <para>
/// A full licence does not make its callers queue for a "no". The call that finds a licence full marks it
/// (<see cref="MarkFull"/>); from then on its callers, those arriving and those already waiting (they are woken), first
/// ask <c>whenFull</c>, a check that takes no turn and no lock. It answers when the licence is still full, or returns
/// null and the caller takes its turn as before. The mark is a hint: a release through this gate clears it
/// (<see cref="MarkNotFull"/>), and a seat freed elsewhere (another node, the sweeper, a kick) only costs the next
/// caller that check before its turn, whose call then clears the mark.
/// </para>
/// <para>
/// Stripes, not one semaphore per licence: nothing to create or clean up per licence. Two licences that share a stripe
/// take turns on this node, which costs nothing measurable at 1,024 stripes (each call holds its stripe for a few
/// milliseconds). A wait longer than <c>maxWait</c> (15 s) answers 503 (a <see cref="TimeoutException"/>), as a full
/// connection pool does.
/// </para>
/// </summary>
public sealed class LicenseGate(TimeSpan? maxWait = null)
{
    private const int Stripes = 1024;
    private readonly TimeSpan _maxWait = maxWait ?? TimeSpan.FromSeconds(15);
    private readonly Stripe[] _stripes = Enumerable.Range(0, Stripes).Select(_ => new Stripe()).ToArray();

    /// <summary>Runs <paramref name="call"/> in the licence's turn.</summary>
    public Task<T> RunAsync<T>(string keyHash, Func<Task<T>> call, CancellationToken ct) where T : class =>
        RunAsync(keyHash, call, whenFull: null, ct);

    /// <summary>
    /// Runs <paramref name="call"/> in the licence's turn, unless the licence is marked full and
    /// <paramref name="whenFull"/> gives the answer without one.
    /// </summary>
    public async Task<T> RunAsync<T>(string keyHash, Func<Task<T>> call, Func<Task<T?>>? whenFull, CancellationToken ct) where T : class
    {
        var stripe = StripeOf(keyHash);
        var deadline = Stopwatch.GetTimestamp() + (long)(_maxWait.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            // Taken before the mark is read, so a licence marked full after the read still wakes this wait.
            var marked = whenFull is null ? null : Volatile.Read(ref stripe.Full).Task;
            if (whenFull is not null && Volatile.Read(ref stripe.FullKey) == keyHash && await whenFull() is { } answer)
            {
                return answer;
            }

            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            switch (await WaitTurnAsync(stripe, left, marked, ct))
            {
                case Wait.Woken:
                    continue;
                case Wait.TimedOut:
                    throw new TimeoutException("Timed out waiting for this licence's earlier acquires and releases on this node.");
            }

            try
            {
                return await call();
            }
            finally
            {
                stripe.Turn.Release();
            }
        }
    }

    /// <summary>Says this licence was found full: its callers ask their <c>whenFull</c> check first, waiting ones at once.</summary>
    public void MarkFull(string keyHash)
    {
        var stripe = StripeOf(keyHash);
        Volatile.Write(ref stripe.FullKey, keyHash);
        Interlocked.Exchange(ref stripe.Full, NewSignal()).TrySetResult();
    }

    /// <summary>Says this licence has a free seat (when it was the one marked full).</summary>
    public void MarkNotFull(string keyHash)
    {
        var stripe = StripeOf(keyHash);
        if (Volatile.Read(ref stripe.FullKey) is { } marked && marked == keyHash)
        {
            Interlocked.CompareExchange(ref stripe.FullKey, null, marked);
        }
    }

    private Stripe StripeOf(string keyHash) => _stripes[(uint)StringComparer.Ordinal.GetHashCode(keyHash) % Stripes];

    /// <summary>Waits for the stripe's turn, or (when <paramref name="marked"/> is given) until it completes.</summary>
    private static async Task<Wait> WaitTurnAsync(Stripe stripe, TimeSpan left, Task? marked, CancellationToken ct)
    {
        // A free turn (the usual case) costs no cancellation source and no second task.
        if (stripe.Turn.Wait(0, ct))
        {
            return Wait.Turn;
        }

        if (left <= TimeSpan.Zero)
        {
            return Wait.TimedOut;
        }

        if (marked is null)
        {
            return await stripe.Turn.WaitAsync(left, ct) ? Wait.Turn : Wait.TimedOut;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var turn = stripe.Turn.WaitAsync(left, stop.Token);
        if (await Task.WhenAny(turn, marked) == turn)
        {
            return await turn ? Wait.Turn : Wait.TimedOut;
        }

        await stop.CancelAsync();
        try
        {
            // The turn may have come just before the cancel: then it is ours to use (or to release).
            return await turn ? Wait.Turn : Wait.TimedOut;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Wait.Woken;
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private enum Wait
    {
        Turn,
        Woken,
        TimedOut,
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification =
        "A SemaphoreSlim needs disposing only once its AvailableWaitHandle is used; stripes live as long as the ledger.")]
    private sealed class Stripe
    {
        public readonly SemaphoreSlim Turn = new(1, 1);

        /// <summary>The key of the licence this stripe's last call found full, if no call has found it free since.</summary>
        public string? FullKey;

        /// <summary>Completed (and replaced) whenever a licence of this stripe is marked full.</summary>
        public TaskCompletionSource Full = NewSignal();
    }
}

using System.Diagnostics;

namespace Coditect.Server.Licensing.Ledger;

/// <summary>
/// Lets one group of calls at a time per licence (per stripe of licences) of this node go to PostgreSQL for the calls
/// that take the licence row lock: acquire and release. They run one at a time in PostgreSQL anyway; what the gate
/// changes is how many wait there, and how many commits the lock waits for. Without it a node sends a hot licence as
/// many waiters as its connection pool holds, and the row lock's hand-off slows down the more of them queue (measured:
/// docs/performance.md). With it the lock has at most one waiter per node, and the rest wait here, holding no
/// connection.
/// <para>
/// <b>Groups</b> (docs/adr/0023-licence-lock-groups.md). A caller that gets the turn takes every call of the same
/// licence waiting behind it (up to <c>maxGroup</c>, in arrival order, itself first) and runs them together: the
/// ledger sends them as ONE batch, one transaction that locks the licence once and commits once. The licence lock is
/// held through the commit's WAL flush, and that flush is most of a call's time under the lock, so a group of n calls
/// holds the lock for much less than n calls one after another. Each call's statements still run in arrival order, and
/// each sees the ones before it: the answers are those of the same calls one at a time. A waiting call whose group ran
/// without it in the turn (another caller took it) returns that answer and gives up its place in the queue.
/// </para>
/// <para>
/// A full licence does not make its callers queue for a "no". The call that finds a licence full marks it
/// (<see cref="MarkFull"/>); from then on its callers, those arriving and those already waiting (they are woken), first
/// ask <c>whenFull</c>, a check that takes no turn and no lock. It answers when the licence is still full, or returns
/// null and the caller takes its turn as before. A waiting call answered so leaves its group queue first; one that a
/// group has already taken keeps that group's answer. The mark is a hint: a release through this gate clears it
/// (<see cref="MarkNotFull"/>), and a seat freed elsewhere (another node, the sweeper, a kick) only costs the next
/// caller that check before its turn, whose call then clears the mark.
/// </para>
/// <para>
/// Stripes, not one semaphore per licence: nothing to create or clean up per licence. Two licences that share a stripe
/// take turns on this node, which costs nothing measurable at 1,024 stripes (each call holds its stripe for a few
/// milliseconds); a group only ever holds calls of one licence. A wait longer than <c>maxWait</c> (15 s) answers 503
/// (a <see cref="TimeoutException"/>), as a full connection pool does, and the call leaves the queue unrun.
/// </para>
/// </summary>
public sealed class LicenseGate(TimeSpan? maxWait = null, int maxGroup = LicenseGate.DefaultMaxGroup)
{
    /// <summary>The most calls one group (one transaction, one commit) holds.</summary>
    public const int DefaultMaxGroup = 16;

    private const int Stripes = 1024;
    private readonly TimeSpan _maxWait = maxWait ?? TimeSpan.FromSeconds(15);
    private readonly int _maxGroup = maxGroup >= 1 ? maxGroup : throw new ArgumentOutOfRangeException(nameof(maxGroup));
    private readonly Stripe[] _stripes = Enumerable.Range(0, Stripes).Select(_ => new Stripe()).ToArray();
    private long _groups;
    private long _groupedCalls;

    /// <summary>Groups run so far on this node, and the calls they held (their ratio is the mean group size).</summary>
    public (long Groups, long Calls) GroupStats => (Interlocked.Read(ref _groups), Interlocked.Read(ref _groupedCalls));

    /// <summary>
    /// Queues <paramref name="call"/> for the licence's next group and waits for its answer. Whoever gets the turn runs the
    /// group with <paramref name="runGroup"/>, which must settle every call it is given (an exception it throws fails the
    /// calls it left unsettled).
    /// </summary>
    public async Task<T> RunGroupedAsync<T>(string keyHash, GroupedCall<T> call, Func<IReadOnlyList<GroupedCall>, Task> runGroup,
        Func<Task<T?>>? whenFull, CancellationToken ct) where T : class
    {
        var stripe = StripeOf(keyHash);
        call.KeyHash = keyHash;
        lock (stripe.Waiting)
        {
            stripe.Waiting.Add(call);
        }

        var deadline = Stopwatch.GetTimestamp() + (long)(_maxWait.TotalSeconds * Stopwatch.Frequency);
        try
        {
            while (!call.Answer.IsCompleted)
            {
                // Taken before the mark is read, so a licence marked full after the read still wakes this wait.
                var marked = whenFull is null ? null : Volatile.Read(ref stripe.Full).Task;
                if (whenFull is not null && Volatile.Read(ref stripe.FullKey) == keyHash && await whenFull() is { } answer
                    && Withdraw(stripe, call))
                {
                    return answer;
                }

                var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                switch (await WaitTurnAsync(stripe, left, marked, call.Answer, ct))
                {
                    case Wait.Woken:
                        continue;
                    case Wait.TimedOut when Withdraw(stripe, call):
                        throw new TimeoutException("Timed out waiting for this licence's earlier acquires and releases on this node.");
                    case Wait.TimedOut:
                        return await call.Answer; // a group took it meanwhile: its answer comes
                }

                try
                {
                    await RunTurnAsync(stripe, keyHash, runGroup);
                }
                finally
                {
                    stripe.Turn.Release();
                }
            }
        }
        catch (Exception) when (call.Withdrawn || Withdraw(stripe, call))
        {
            // Leaving unrun (a timeout, a cancelled request, a failed full check): no group may run the call later.
            throw;
        }
        catch (Exception)
        {
            // Taken by a group before the caller gave up: the work happens, so the caller keeps its answer.
        }

        return await call.Answer;
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

    /// <summary>In the stripe's turn: takes the licence's waiting calls (the caller's own among them, unless a group took it) and runs them.</summary>
    private async Task RunTurnAsync(Stripe stripe, string keyHash, Func<IReadOnlyList<GroupedCall>, Task> runGroup)
    {
        var group = new List<GroupedCall>();
        lock (stripe.Waiting)
        {
            for (var i = 0; i < stripe.Waiting.Count && group.Count < _maxGroup; i++)
            {
                var waiting = stripe.Waiting[i];
                if (waiting.KeyHash == keyHash && waiting.TryTake())
                {
                    group.Add(waiting);
                    stripe.Waiting.RemoveAt(i--);
                }
            }
        }

        if (group.Count == 0)
        {
            return;
        }

        Interlocked.Increment(ref _groups);
        Interlocked.Add(ref _groupedCalls, group.Count);
        try
        {
            await runGroup(group);
        }
        catch (Exception e)
        {
            foreach (var taken in group)
            {
                taken.Fail(e);
            }
        }

        foreach (var taken in group)
        {
            taken.Fail(new InvalidOperationException("The group ended without answering this call."));
        }
    }

    /// <summary>Takes a call out of the queue before any group does; false when a group already took it (its answer comes).</summary>
    private static bool Withdraw(Stripe stripe, GroupedCall call)
    {
        if (!call.TryWithdraw())
        {
            return false;
        }

        lock (stripe.Waiting)
        {
            stripe.Waiting.Remove(call);
        }

        return true;
    }

    /// <summary>Waits for the stripe's turn, or until <paramref name="marked"/> or <paramref name="answered"/> completes.</summary>
    private static async Task<Wait> WaitTurnAsync(Stripe stripe, TimeSpan left, Task? marked, Task answered, CancellationToken ct)
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

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var turn = stripe.Turn.WaitAsync(left, stop.Token);
        var woken = await Task.WhenAny(turn, marked ?? answered, answered);
        if (woken == turn)
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

        /// <summary>Calls of this stripe's licences waiting for a group, in arrival order.</summary>
        public readonly List<GroupedCall> Waiting = [];

        /// <summary>The key of the licence this stripe's last call found full, if no call has found it free since.</summary>
        public string? FullKey;

        /// <summary>Completed (and replaced) whenever a licence of this stripe is marked full.</summary>
        public TaskCompletionSource Full = NewSignal();
    }
}

/// <summary>One call waiting in <see cref="LicenseGate"/> for a group of its licence's calls: waiting, then taken by a group or withdrawn.</summary>
public abstract class GroupedCall
{
    private int _state; // 0 waiting, 1 taken by a group, 2 withdrawn by its caller

    internal string KeyHash { get; set; } = "";

    /// <summary>Ends the call with an exception (unless it already has its answer).</summary>
    public abstract void Fail(Exception exception);

    internal bool TryTake() => Interlocked.CompareExchange(ref _state, 1, 0) == 0;

    internal bool TryWithdraw() => Interlocked.CompareExchange(ref _state, 2, 0) == 0;

    internal bool Withdrawn => Volatile.Read(ref _state) == 2;
}

/// <summary>A grouped call whose answer is a <typeparamref name="T"/>.</summary>
public abstract class GroupedCall<T> : GroupedCall
{
    private readonly TaskCompletionSource<T> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal Task<T> Answer => _answer.Task;

    /// <summary>Gives the call its answer.</summary>
    public void Settle(T answer) => _answer.TrySetResult(answer);

    public override void Fail(Exception exception) => _answer.TrySetException(exception);
}

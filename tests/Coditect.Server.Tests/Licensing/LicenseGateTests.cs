using Coditect.Server.Licensing;
using Coditect.Server.Licensing.Ledger;

namespace Coditect.Server.Tests.Licensing;

/// <summary>
/// One group of a licence's acquires and releases at a time per node, in arrival order; other licences pass; a long wait
/// ends in a timeout and the call never runs; callers of a licence marked full are answered without a turn while their
/// check says it is still full.
/// </summary>
public sealed class LicenseGateTests
{
    [Fact]
    public async Task Calls_for_one_licence_run_one_at_a_time()
    {
        var gate = new LicenseGate();
        var inside = 0;
        var most = 0;

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => gate.RunAsync("key-a", async () =>
        {
            most = Math.Max(most, Interlocked.Increment(ref inside));
            await Task.Delay(5);
            Interlocked.Decrement(ref inside);
            return "done";
        }, CancellationToken.None)));

        most.ShouldBe(1);
    }

    [Fact]
    public async Task A_call_waiting_longer_than_the_limit_times_out_and_a_failed_call_lets_the_next_in()
    {
        var gate = new LicenseGate(TimeSpan.FromMilliseconds(100));
        var release = new TaskCompletionSource<string>();
        var holding = gate.RunAsync("key-a", () => release.Task, CancellationToken.None);

        var ranLate = false;
        await Should.ThrowAsync<TimeoutException>(() => gate.RunAsync("key-a", () => { ranLate = true; return Task.FromResult("one"); }, CancellationToken.None));

        release.SetException(new InvalidOperationException("the database said no"));
        await Should.ThrowAsync<InvalidOperationException>(() => holding);
        (await gate.RunAsync("key-a", () => Task.FromResult("two"), CancellationToken.None)).ShouldBe("two");
        ranLate.ShouldBeFalse("a call that timed out left the queue unrun");
    }

    [Fact]
    public async Task Calls_waiting_behind_a_turn_run_as_one_group_in_arrival_order_up_to_the_group_limit()
    {
        var gate = new LicenseGate(TimeSpan.FromSeconds(5), maxGroup: 4);
        var release = new TaskCompletionSource<string>();
        var holding = gate.RunAsync("key-a", () => release.Task, CancellationToken.None);
        var order = new System.Collections.Concurrent.ConcurrentQueue<int>();
        var waiting = Enumerable.Range(0, 6)
            .Select(i => gate.RunAsync("key-a", () => { order.Enqueue(i); return Task.FromResult($"answer {i}"); }, CancellationToken.None))
            .ToArray();
        await Task.Delay(50);
        gate.GroupStats.ShouldBe((1, 1));

        release.SetResult("done");
        await holding;

        (await Task.WhenAll(waiting)).ShouldBe(Enumerable.Range(0, 6).Select(i => $"answer {i}"));
        order.ShouldBe(Enumerable.Range(0, 6));
        gate.GroupStats.ShouldBe((3, 7)); // the holder alone, then 4, then 2
    }

    [Fact]
    public async Task A_waiting_call_whose_full_check_fails_or_whose_caller_goes_away_never_runs()
    {
        var gate = new LicenseGate(TimeSpan.FromSeconds(5));
        var release = new TaskCompletionSource<string>();
        var holding = gate.RunAsync("key-a", () => release.Task, CancellationToken.None);
        var ran = 0;
        Task<string> Run() { Interlocked.Increment(ref ran); return Task.FromResult("turn"); }
        var failedCheck = gate.RunAsync("key-a", Run, () => Task.FromException<string?>(new InvalidOperationException("check failed")),
            CancellationToken.None);
        using var leaving = new CancellationTokenSource();
        var cancelled = gate.RunAsync("key-a", Run, leaving.Token);
        await Task.Delay(50);

        gate.MarkFull("key-a");
        await leaving.CancelAsync();

        await Should.ThrowAsync<InvalidOperationException>(() => failedCheck);
        await Should.ThrowAsync<OperationCanceledException>(() => cancelled);
        release.SetResult("done");
        await holding;
        (await gate.RunAsync("key-a", () => Task.FromResult("after"), CancellationToken.None)).ShouldBe("after");
        ran.ShouldBe(0);
    }

    [Fact]
    public async Task A_failing_group_fails_its_calls_and_the_next_group_runs()
    {
        var gate = new LicenseGate(TimeSpan.FromSeconds(5));
        var release = new TaskCompletionSource<string>();
        var holding = gate.RunAsync("key-a", () => release.Task, CancellationToken.None);
        var waiting = Enumerable.Range(0, 3).Select(i => gate.RunAsync("key-a",
            () => i == 1 ? Task.FromException<string>(new InvalidOperationException("no")) : Task.FromResult("yes"), CancellationToken.None)).ToArray();
        await Task.Delay(50);

        release.SetResult("done");

        (await waiting[0]).ShouldBe("yes");
        await Should.ThrowAsync<InvalidOperationException>(() => waiting[1]);
        (await waiting[2]).ShouldBe("yes");
    }

    [Fact]
    public async Task Another_licence_is_not_held_up_by_a_busy_one()
    {
        var gate = new LicenseGate(TimeSpan.FromSeconds(5));
        var release = new TaskCompletionSource<string>();
        var holding = gate.RunAsync("key-a", () => release.Task, CancellationToken.None);

        // Most other keys fall in another stripe; any one of them passing proves stripes are independent.
        var passed = 0;
        foreach (var key in Enumerable.Range(0, 10).Select(i => $"key-{i}-b"))
        {
            var call = gate.RunAsync(key, () => Task.FromResult("one"), CancellationToken.None);
            if (await Task.WhenAny(call, Task.Delay(200)) == call)
            {
                passed++;
            }
        }

        passed.ShouldBeGreaterThan(0);
        release.SetResult("done");
        await holding;
    }

    [Fact]
    public async Task Callers_waiting_for_a_licence_marked_full_are_answered_by_the_check_without_a_turn()
    {
        var gate = new LicenseGate(TimeSpan.FromSeconds(5));
        var release = new TaskCompletionSource<string>();
        var holding = gate.RunAsync("key-a", () => release.Task, CancellationToken.None);
        var turns = 0;
        var waiting = Enumerable.Range(0, 10)
            .Select(_ => gate.RunAsync("key-a", () => { Interlocked.Increment(ref turns); return Task.FromResult("turn"); },
                () => Task.FromResult<string?>("full"), CancellationToken.None))
            .ToArray();
        await Task.Delay(50);
        waiting.ShouldAllBe(w => !w.IsCompleted);

        gate.MarkFull("key-a");

        (await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromSeconds(5))).ShouldAllBe(answer => answer == "full");
        (await gate.RunAsync("key-a", () => Task.FromResult("turn"), () => Task.FromResult<string?>("full"), CancellationToken.None)).ShouldBe("full");
        turns.ShouldBe(0);
        holding.IsCompleted.ShouldBeFalse();
        release.SetResult("done");
        await holding;
    }

    [Fact]
    public async Task A_check_that_finds_a_free_seat_sends_the_caller_to_its_turn_and_an_unmarked_licence_is_not_checked()
    {
        var gate = new LicenseGate(TimeSpan.FromSeconds(5));
        var checks = 0;
        Task<string?> Check()
        {
            Interlocked.Increment(ref checks);
            return Task.FromResult<string?>(null);
        }

        gate.MarkFull("key-a");
        (await gate.RunAsync("key-a", () => Task.FromResult("turn"), Check, CancellationToken.None)).ShouldBe("turn");
        checks.ShouldBe(1);

        gate.MarkNotFull("key-a");
        (await gate.RunAsync("key-a", () => Task.FromResult("turn"), Check, CancellationToken.None)).ShouldBe("turn");
        checks.ShouldBe(1);
    }

    [Fact]
    public async Task A_woken_caller_keeps_its_deadline()
    {
        var gate = new LicenseGate(TimeSpan.FromMilliseconds(300));
        var release = new TaskCompletionSource<string>();
        var holding = gate.RunAsync("key-a", () => release.Task, CancellationToken.None);
        var waiting = gate.RunAsync("key-a", () => Task.FromResult("turn"), () => Task.FromResult<string?>(null), CancellationToken.None);

        for (var i = 0; i < 5; i++)
        {
            gate.MarkFull("key-a");
            await Task.Delay(20);
        }

        await Should.ThrowAsync<TimeoutException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        release.SetResult("done");
        await holding;
    }
}

/// <summary>
/// The gate's calls as plain functions, run one after another by their group: the ledger's shape (one group, calls in
/// arrival order) without the database.
/// </summary>
internal static class GateCalls
{
    public static Task<T> RunAsync<T>(this LicenseGate gate, string keyHash, Func<Task<T>> call, CancellationToken ct) where T : class =>
        gate.RunAsync(keyHash, call, whenFull: null, ct);

    public static Task<T> RunAsync<T>(this LicenseGate gate, string keyHash, Func<Task<T>> call, Func<Task<T?>>? whenFull, CancellationToken ct)
        where T : class =>
        gate.RunGroupedAsync(keyHash, new FunctionCall<T>(call), RunEachAsync, whenFull, ct);

    private static async Task RunEachAsync(IReadOnlyList<GroupedCall> group)
    {
        foreach (var taken in group)
        {
            await ((IFunctionCall)taken).RunAsync();
        }
    }

    private interface IFunctionCall
    {
        Task RunAsync();
    }

    private sealed class FunctionCall<T>(Func<Task<T>> call) : GroupedCall<T>, IFunctionCall
    {
        public async Task RunAsync()
        {
            try
            {
                Settle(await call());
            }
            catch (Exception e)
            {
                Fail(e);
            }
        }
    }
}

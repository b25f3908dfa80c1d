using Coditect.Server.Licensing;

namespace Coditect.Server.Tests.Licensing;

/// <summary>One acquire or release of a licence at a time per node; other licences pass; a long wait ends in a timeout.</summary>
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
            return 0;
        }, CancellationToken.None)));

        most.ShouldBe(1);
    }

    [Fact]
    public async Task A_call_waiting_longer_than_the_limit_times_out_and_a_failed_call_lets_the_next_in()
    {
        var gate = new LicenseGate(TimeSpan.FromMilliseconds(100));
        var release = new TaskCompletionSource<int>();
        var holding = gate.RunAsync("key-a", () => release.Task, CancellationToken.None);

        await Should.ThrowAsync<TimeoutException>(() => gate.RunAsync("key-a", () => Task.FromResult(1), CancellationToken.None));

        release.SetException(new InvalidOperationException("the database said no"));
        await Should.ThrowAsync<InvalidOperationException>(() => holding);
        (await gate.RunAsync("key-a", () => Task.FromResult(2), CancellationToken.None)).ShouldBe(2);
    }

    [Fact]
    public async Task Another_licence_is_not_held_up_by_a_busy_one()
    {
        var gate = new LicenseGate(TimeSpan.FromSeconds(5));
        var release = new TaskCompletionSource<int>();
        var holding = gate.RunAsync("key-a", () => release.Task, CancellationToken.None);

        // Most other keys fall in another stripe; any one of them passing proves stripes are independent.
        var passed = 0;
        foreach (var key in Enumerable.Range(0, 10).Select(i => $"key-{i}-b"))
        {
            var call = gate.RunAsync(key, () => Task.FromResult(1), CancellationToken.None);
            if (await Task.WhenAny(call, Task.Delay(200)) == call)
            {
                passed++;
            }
        }

        passed.ShouldBeGreaterThan(0);
        release.SetResult(0);
        await holding;
    }
}

using Coditect.Server.Platform;
using Microsoft.Extensions.Time.Testing;

namespace Coditect.Server.Tests.Platform;

/// <summary>The in-memory counter's windows and its sweep, on a clock the test moves.</summary>
public sealed class MemoryRateCounterTests
{
    private readonly FakeTimeProvider _clock = new();
    private readonly MemoryRateCounter _counter;

    public MemoryRateCounterTests() => _counter = new MemoryRateCounter(_clock);

    [Fact]
    public async Task Windows_of_an_old_minute_are_dropped_and_counts_of_the_current_one_kept()
    {
        for (var i = 0; i < 1000; i++)
        {
            await Hit($"old-{i}");
        }

        _clock.Advance(TimeSpan.FromSeconds(30));
        (await Hit("live", limit: 2)).Allowed.ShouldBeTrue();
        (await Hit("live", limit: 2)).Allowed.ShouldBeTrue();
        _counter.WindowCount.ShouldBe(1001);

        _clock.Advance(TimeSpan.FromSeconds(31)); // the old windows have ended, "live" has 29 s left
        var third = await Hit("live", limit: 2);

        third.Allowed.ShouldBeFalse("the live window kept its count");
        third.RetryAfter.ShouldBe(TimeSpan.FromSeconds(29), TimeSpan.FromSeconds(1));
        _counter.WindowCount.ShouldBe(1);
    }

    [Fact]
    public async Task An_ended_window_waits_for_the_next_sweep_instead_of_a_scan_on_every_call()
    {
        await Hit("a"); // t=0: the first call sweeps, an empty dictionary
        _clock.Advance(TimeSpan.FromSeconds(10));
        await Hit("b"); // t=10
        _clock.Advance(TimeSpan.FromSeconds(55));
        await Hit("c"); // t=65: a sweep is due; "a" has ended, "b" has 5 s left
        _counter.WindowCount.ShouldBe(2);

        _clock.Advance(TimeSpan.FromSeconds(10));
        await Hit("c"); // t=75: "b" has ended, but the next sweep is due at 125
        _counter.WindowCount.ShouldBe(2);

        _clock.Advance(TimeSpan.FromSeconds(50));
        await Hit("d"); // t=125: "b" and "c" go
        _counter.WindowCount.ShouldBe(1);
    }

    [Fact]
    public async Task Parallel_calls_during_a_sweep_are_each_counted_once()
    {
        for (var i = 0; i < 20_000; i++)
        {
            await Hit($"old-{i}");
        }

        _clock.Advance(TimeSpan.FromSeconds(61));
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 1000; i++)
            {
                await Hit("hot", limit: int.MaxValue);
            }
        })));

        (await Hit("hot", limit: 8001)).Allowed.ShouldBeTrue();
        (await Hit("hot", limit: 8001)).Allowed.ShouldBeFalse();
        _counter.WindowCount.ShouldBe(1);
    }

    [Fact]
    public async Task A_pair_counts_the_key_only_for_calls_its_member_allows()
    {
        for (var i = 0; i < 5; i++)
        {
            await _counter.HitPairAsync("licence", 4, "runaway", 2, CancellationToken.None);
        }

        (await _counter.HitPairAsync("licence", 4, "other", 2, CancellationToken.None)).Allowed.ShouldBeTrue("the runaway spent 2 of 4");
        (await _counter.HitPairAsync("licence", 4, "third", 2, CancellationToken.None)).Allowed.ShouldBeTrue();
        (await _counter.HitAsync("licence", 4, CancellationToken.None)).Allowed.ShouldBeFalse("the key itself is the same window");
    }

    private ValueTask<RateDecision> Hit(string key, int limit = 10) => _counter.HitAsync(key, limit, CancellationToken.None);
}

using Coditect.Server.Licensing;
using Coditect.Server.Licensing.Ledger;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Tests.Licensing;

/// <summary>The Redis mode's per-node licence copies: served until their time is up, refreshed in the background before.</summary>
public sealed class LicenseCacheTests
{
    private static readonly DateTime Start = new(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc);
    private readonly LicenseCache _cache = new(Options.Create(new LicensingOptions { LicenseCacheSeconds = 60 }), NullLogger<LicenseCache>.Instance);
    private int _loads;

    private static LicenseSnapshot Snapshot(int seats) => new(Guid.NewGuid(), Guid.NewGuid(), seats, LicenseState.Active, null, []);

    private Func<CancellationToken, Task<LicenseSnapshot?>> Load(LicenseSnapshot? answer) => _ =>
    {
        Interlocked.Increment(ref _loads);
        return Task.FromResult(answer);
    };

    [Fact]
    public async Task A_fresh_copy_is_served_without_loading_again()
    {
        var first = Snapshot(1);
        (await _cache.GetAsync("k", Start, Load(first), default)).ShouldBe(first);

        (await _cache.GetAsync("k", Start.AddSeconds(10), Load(Snapshot(2)), default)).ShouldBe(first);
        _loads.ShouldBe(1);
    }

    [Fact]
    public async Task Past_nine_tenths_of_its_time_a_copy_is_still_served_and_replaced_in_the_background()
    {
        var first = Snapshot(1);
        var second = Snapshot(2);
        await _cache.GetAsync("k", Start, Load(first), default);

        // The reload point is between 0.5 and 0.9 of the 60 s: at 55 s the copy is served and a reload starts.
        (await _cache.GetAsync("k", Start.AddSeconds(55), Load(second), default)).ShouldBe(first);
        await WaitForAsync(() => _loads == 2);

        (await _cache.GetAsync("k", Start.AddSeconds(56), Load(Snapshot(3)), default)).ShouldBe(second);
        _loads.ShouldBe(2);
    }

    [Fact]
    public async Task A_copy_past_its_time_is_never_served()
    {
        await _cache.GetAsync("k", Start, Load(Snapshot(1)), default);
        var later = Snapshot(2);

        (await _cache.GetAsync("k", Start.AddSeconds(60), Load(later), default)).ShouldBe(later);
    }

    [Fact]
    public async Task A_licence_gone_at_reload_is_dropped_and_a_dropped_copy_is_not_brought_back()
    {
        var license = Snapshot(1);
        await _cache.GetAsync("k", Start, Load(license), default);
        (await _cache.GetAsync("k", Start.AddSeconds(55), Load(null), default)).ShouldBe(license);
        await WaitForAsync(() => _loads == 2);

        (await _cache.GetAsync("k", Start.AddSeconds(56), Load(null), default)).ShouldBeNull();
        _loads.ShouldBe(3);

        // A change announced while a reload is under way: the reload does not put back the copy it started from.
        var gate = new TaskCompletionSource<LicenseSnapshot?>();
        var reloaded = Snapshot(4);
        await _cache.GetAsync("j", Start, Load(license), default);
        await _cache.GetAsync("j", Start.AddSeconds(55), _ => gate.Task, default);
        _cache.Invalidate(license.Id);
        gate.SetResult(reloaded);
        var fresh = Snapshot(5);
        (await _cache.GetAsync("j", Start.AddSeconds(56), Load(fresh), default)).ShouldBe(fresh);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        condition().ShouldBeTrue();
    }
}

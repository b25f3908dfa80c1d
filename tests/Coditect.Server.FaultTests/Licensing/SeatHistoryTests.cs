using Coditect.Server.FaultTests.Infrastructure;

namespace Coditect.Server.FaultTests.Licensing;

/// <summary>The negative control: the history checker the fault tests rely on does catch an over-allocation.</summary>
public sealed class SeatHistoryTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    private static SeatInterval Seat(int startMs, int endMs, string label) => new(T0.AddMilliseconds(startMs), T0.AddMilliseconds(endMs), label);

    [Fact]
    public void The_checker_reports_51_holders_when_51_seats_overlap()
    {
        // 50 seats churned back to back, plus one seat that overlaps all of them for a millisecond.
        var history = Enumerable.Range(0, 50).SelectMany(i => new[] { Seat(0, 100 + i, $"a{i}"), Seat(100 + i, 300, $"b{i}") })
            .Append(Seat(149, 151, "intruder"))
            .ToList();

        var overlap = SeatHistory.MaxOverlap(history);

        overlap.Max.ShouldBe(51);
        overlap.At.ShouldBe(T0.AddMilliseconds(149));
        overlap.Holders.ShouldContain("intruder");
        SeatHistory.MaxOverlap(history.Where(s => s.Label != "intruder")).Max.ShouldBe(50);
    }

    [Fact]
    public void A_seat_released_at_the_instant_another_is_taken_is_not_an_overlap()
    {
        var history = Enumerable.Range(0, 50).Select(i => Seat(0, 100, $"a{i}")).Append(Seat(100, 200, "next")).ToList();

        SeatHistory.MaxOverlap(history).Max.ShouldBe(50);
        SeatHistory.MaxOverlap(history.Append(Seat(99, 200, "early"))).Max.ShouldBe(51);
    }

    [Fact]
    public void A_session_row_ends_at_its_release_or_its_lapse_whichever_came_first()
    {
        var released = new SessionRecord(Guid.NewGuid(), "m", "released", T0, T0.AddSeconds(2), T0.AddSeconds(6));
        var releasedAfterLapse = new SessionRecord(Guid.NewGuid(), "m", "released", T0, T0.AddSeconds(9), T0.AddSeconds(6));
        var live = new SessionRecord(Guid.NewGuid(), "m", "active", T0, null, T0.AddSeconds(6));

        released.End.ShouldBe(T0.AddSeconds(2));
        releasedAfterLapse.End.ShouldBe(T0.AddSeconds(6));
        live.End.ShouldBe(T0.AddSeconds(6));
    }

    [Fact]
    public void The_checker_reports_one_machine_holding_two_seats()
    {
        var first = new SessionRecord(Guid.NewGuid(), "m1", "released", T0, T0.AddSeconds(2), T0.AddSeconds(6));
        var second = new SessionRecord(Guid.NewGuid(), "m1", "active", T0.AddSeconds(1), null, T0.AddSeconds(7));
        var later = new SessionRecord(Guid.NewGuid(), "m1", "active", T0.AddSeconds(7), null, T0.AddSeconds(13));
        var other = new SessionRecord(Guid.NewGuid(), "m2", "active", T0.AddSeconds(1), null, T0.AddSeconds(7));

        SeatHistory.SameHardwareOverlaps([first, second, other]).ShouldHaveSingleItem().ShouldBe((first, second));
        SeatHistory.SameHardwareOverlaps([first, later, other]).ShouldBeEmpty();
    }
}

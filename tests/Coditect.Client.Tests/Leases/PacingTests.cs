namespace Coditect.Client.Tests.Leases;

/// <summary>Heartbeat pacing and back-off: pure functions, so the numbers are checked exactly.</summary>
public sealed class PacingTests
{
    [Fact]
    public void Back_off_doubles_from_the_initial_delay_with_equal_jitter_and_stops_at_the_cap()
    {
        var policy = new RetryPolicy { InitialDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(10) };

        policy.DelayFor(0, null, 0).ShouldBe(TimeSpan.FromMilliseconds(500));
        policy.DelayFor(0, null, 0.999999).TotalMilliseconds.ShouldBe(1000, 0.01);
        policy.DelayFor(1, null, 0).ShouldBe(TimeSpan.FromSeconds(1));
        policy.DelayFor(2, null, 0.5).ShouldBe(TimeSpan.FromSeconds(3));
        policy.DelayFor(10, null, 0).ShouldBe(TimeSpan.FromSeconds(5));
        policy.DelayFor(1000, null, 0.999999).TotalSeconds.ShouldBe(10, 0.001);
    }

    [Fact]
    public void Retry_After_wins_when_it_is_longer_than_the_back_off()
    {
        var policy = new RetryPolicy();
        policy.DelayFor(0, TimeSpan.FromSeconds(30), 0.5).ShouldBe(TimeSpan.FromSeconds(30));
        policy.DelayFor(3, TimeSpan.FromMilliseconds(1), 0).ShouldBe(TimeSpan.FromSeconds(4));
    }

    [Theory]
    [InlineData(0.0, 120_000)]
    [InlineData(0.5, 114_000)]
    [InlineData(0.999999, 108_000)]
    public void Heartbeats_come_at_the_interval_brought_forward_by_at_most_the_jitter(double random, double expectedMs) =>
        Lease.HeartbeatDelay(TimeSpan.FromMinutes(2), 0.1, random).TotalMilliseconds.ShouldBe(expectedMs, 1);

    [Fact]
    public void A_failed_heartbeat_is_retried_within_half_the_lease_left_so_a_returning_server_is_caught_in_time()
    {
        var policy = new RetryPolicy { InitialDelay = TimeSpan.FromSeconds(8) };
        Lease.RetryDelay(policy, 0, null, TimeSpan.FromSeconds(6), 0.5).ShouldBe(TimeSpan.FromSeconds(3));
        Lease.RetryDelay(policy, 0, TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(6), 0.5).ShouldBe(TimeSpan.FromSeconds(3));
        Lease.RetryDelay(policy, 0, null, TimeSpan.Zero, 0.5).ShouldBe(TimeSpan.FromMilliseconds(250));
        Lease.RetryDelay(new RetryPolicy(), 0, null, TimeSpan.FromMinutes(6), 0).ShouldBe(TimeSpan.FromMilliseconds(500));
    }

    [Theory]
    [InlineData("SESSION_EXPIRED", LeaseLossReason.SessionExpired)]
    [InlineData("SESSION_RELEASED", LeaseLossReason.SessionReleased)]
    [InlineData("SESSION_NOT_FOUND", LeaseLossReason.SessionNotFound)]
    [InlineData("LICENSE_SUSPENDED", LeaseLossReason.LicenseSuspended)]
    [InlineData("LICENSE_EXPIRED", LeaseLossReason.LicenseExpired)]
    [InlineData("LICENSE_NOT_FOUND", LeaseLossReason.LicenseNotFound)]
    [InlineData("ORGANIZATION_SUSPENDED", LeaseLossReason.OrganizationSuspended)]
    public void Answers_that_end_a_session_lose_the_lease(string code, LeaseLossReason reason) =>
        Lease.LossReason(new CoditectException(code, 410, "x")).ShouldBe(reason);

    [Theory]
    [InlineData("SERVICE_UNAVAILABLE", 503)]
    [InlineData("RATE_LIMITED", 429)]
    [InlineData("UNREACHABLE", 0)]
    [InlineData("INTERNAL_ERROR", 500)]
    public void Answers_that_may_pass_keep_the_lease_renewing(string code, int status) =>
        Lease.LossReason(new CoditectException(code, status, "x")).ShouldBeNull();
}

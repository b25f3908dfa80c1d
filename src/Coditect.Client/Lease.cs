using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;

namespace Coditect.Client;

/// <summary>
/// A held seat. It heartbeats by itself at the server's interval (brought forward by a little jitter); when a heartbeat
/// fails for a reason that may pass, it retries with exponential back-off, honouring <c>Retry-After</c>, and stays usable
/// (<see cref="IsValid"/>) until its own <see cref="ExpiresAt"/> — so a network outage shorter than the lease costs
/// nothing. When the seat is really gone it raises <see cref="Lost"/> once. Dispose it to give the seat back.
/// </summary>
public sealed class Lease : IAsyncDisposable
{
    private readonly LicenseClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private readonly Task _loop;
    private string _token;
    private DateTimeOffset _expiresAt;
    private DateTimeOffset _lastRenewedAt;
    private LeaseState _state = LeaseState.Active;
    private int _ended;

    internal Lease(LicenseClient client, string hardwareId, AcquireResponse answer)
    {
        _client = client;
        HardwareId = hardwareId;
        SessionId = answer.SessionId;
        _token = answer.LeaseToken;
        _expiresAt = Utc(answer.ExpiresAt);
        _lastRenewedAt = client.Clock.GetUtcNow();
        HeartbeatInterval = TimeSpan.FromSeconds(Math.Max(1, answer.HeartbeatIntervalSeconds));
        SeatsTotal = answer.SeatsTotal;
        SeatsUsed = answer.SeatsUsed;
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Raised once, on a background thread, when the seat is lost. Check <see cref="State"/> after subscribing late.</summary>
    public event EventHandler<LeaseLostEventArgs>? Lost;

    /// <summary>Raised on a background thread whenever <see cref="State"/> changes.</summary>
    public event EventHandler<LeaseStateChangedEventArgs>? StateChanged;

    /// <summary>The server's id for this seat.</summary>
    public Guid SessionId { get; }

    /// <summary>The machine the seat is held for.</summary>
    public string HardwareId { get; }

    /// <summary>How often the server expects a heartbeat.</summary>
    public TimeSpan HeartbeatInterval { get; }

    /// <summary>The licence's seats when the lease was acquired.</summary>
    public int SeatsTotal { get; }

    /// <summary>The seats held (this one included) when the lease was acquired.</summary>
    public int SeatsUsed { get; }

    /// <summary>The latest signed lease token (a compact JWS), renewed by every heartbeat; verify it with <see cref="LeaseToken.Verify(string, JsonWebKeySet, string, DateTimeOffset, Guid?)"/>.</summary>
    public string Token
    {
        get
        {
            lock (_gate)
            {
                return _token;
            }
        }
    }

    /// <summary>When the lease runs out unless a heartbeat renews it (the server's time, as UTC).</summary>
    public DateTimeOffset ExpiresAt
    {
        get
        {
            lock (_gate)
            {
                return _expiresAt;
            }
        }
    }

    /// <summary>When the seat was last acquired or renewed, by the client's clock.</summary>
    public DateTimeOffset LastRenewedAt
    {
        get
        {
            lock (_gate)
            {
                return _lastRenewedAt;
            }
        }
    }

    /// <summary>Where the lease stands.</summary>
    public LeaseState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>True while the seat is held: <see cref="State"/> is Active or Renewing and <see cref="ExpiresAt"/> has not passed.</summary>
    public bool IsValid
    {
        get
        {
            lock (_gate)
            {
                return _state is LeaseState.Active or LeaseState.Renewing && _client.Clock.GetUtcNow() < _expiresAt;
            }
        }
    }

    /// <summary>Stops heartbeating and gives the seat back to the server now.</summary>
    /// <param name="ct">Cancels the release call.</param>
    /// <exception cref="CoditectUnavailableException">The server could not be reached; the seat frees itself when the lease lapses.</exception>
    public async Task ReleaseAsync(CancellationToken ct = default)
    {
        await StopAsync().ConfigureAwait(false);
        if (Interlocked.Exchange(ref _ended, 1) == 1)
        {
            return;
        }

        SetState(LeaseState.Released);
        await _client.ReleaseAsync(SessionId, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops heartbeating and releases the seat, waiting at most five seconds for the server; if it cannot be reached the
    /// seat frees itself when the lease lapses. Never throws for a server or network failure.
    /// </summary>
    /// <returns>A task that completes when the lease is released.</returns>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await ReleaseAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CoditectException or OperationCanceledException)
        {
            // Best effort: the lease lapses on the server by itself.
        }

        _stop.Dispose();
    }

    private async Task StopAsync()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the loop's normal end
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var clock = _client.Clock;
        var options = _client.Options;
        var failures = 0;
        var wait = NextHeartbeat(options);
        while (true)
        {
            await Jitter.Delay(clock, wait, stop).ConfigureAwait(false);
            var now = clock.GetUtcNow();
            var remaining = ExpiresAt - now;
            if (remaining <= TimeSpan.Zero)
            {
                Lose(LeaseLossReason.LocalExpiry, null);
                return;
            }

            try
            {
                var timeout = remaining < options.RequestTimeout ? remaining : options.RequestTimeout;
                var answer = await _client.HeartbeatAsync(SessionId, timeout, stop).ConfigureAwait(false);
                lock (_gate)
                {
                    _token = answer.LeaseToken;
                    _expiresAt = Utc(answer.ExpiresAt);
                    _lastRenewedAt = clock.GetUtcNow();
                }

                SetState(LeaseState.Active);
                failures = 0;
                wait = NextHeartbeat(options);
            }
            catch (CoditectException e) when (LossReason(e) is { } reason)
            {
                Lose(reason, e);
                return;
            }
            catch (CoditectException e)
            {
                // Anything else may pass (no network, 503, 429, a proxy's 502): hold on until the lease itself runs out.
                SetState(LeaseState.Renewing);
                wait = RetryDelay(options.Retry, failures++, e.RetryAfter, ExpiresAt - clock.GetUtcNow(), Jitter.Next());
            }
        }
    }

    private TimeSpan NextHeartbeat(LicenseClientOptions options) => HeartbeatDelay(HeartbeatInterval, options.HeartbeatJitter, Jitter.Next());

    /// <summary>The wait before the next heartbeat: the interval, brought forward by up to <paramref name="jitter"/> of it.</summary>
    internal static TimeSpan HeartbeatDelay(TimeSpan interval, double jitter, double random)
    {
        var fraction = Math.Min(Math.Max(jitter, 0), 0.5) * RetryPolicy.Clamp(random);
        return TimeSpan.FromMilliseconds(interval.TotalMilliseconds * (1 - fraction));
    }

    /// <summary>
    /// The wait before retrying a failed heartbeat: the policy's back-off (at least <c>Retry-After</c>), but never more than
    /// half the lease's remaining time (at least a quarter second), so a server that returns in time finds the client trying.
    /// </summary>
    internal static TimeSpan RetryDelay(RetryPolicy policy, int failures, TimeSpan? retryAfter, TimeSpan remaining, double random)
    {
        var delay = policy.DelayFor(failures, retryAfter, random);
        var cap = TimeSpan.FromTicks(Math.Max(remaining.Ticks / 2, TimeSpan.FromMilliseconds(250).Ticks));
        return delay < cap ? delay : cap;
    }

    /// <summary>The answers that end a lease for good; null for those worth retrying.</summary>
    internal static LeaseLossReason? LossReason(CoditectException e) => e.Code switch
    {
        ProblemCodes.SessionExpired => LeaseLossReason.SessionExpired,
        ProblemCodes.SessionReleased => LeaseLossReason.SessionReleased,
        ProblemCodes.SessionNotFound => LeaseLossReason.SessionNotFound,
        ProblemCodes.LicenseSuspended => LeaseLossReason.LicenseSuspended,
        ProblemCodes.LicenseExpired => LeaseLossReason.LicenseExpired,
        ProblemCodes.LicenseNotFound => LeaseLossReason.LicenseNotFound,
        ProblemCodes.OrganizationSuspended => LeaseLossReason.OrganizationSuspended,
        _ => null,
    };

    private void Lose(LeaseLossReason reason, CoditectException? error)
    {
        if (Interlocked.Exchange(ref _ended, 1) == 1)
        {
            return;
        }

        SetState(LeaseState.Lost);
        Lost?.Invoke(this, new LeaseLostEventArgs(reason, error));
    }

    private void SetState(LeaseState state)
    {
        LeaseState previous;
        lock (_gate)
        {
            previous = _state;
            if (previous == state || previous is LeaseState.Lost or LeaseState.Released)
            {
                return;
            }

            _state = state;
        }

        StateChanged?.Invoke(this, new LeaseStateChangedEventArgs(previous, state));
    }

    private static DateTimeOffset Utc(DateTime value) =>
        new(value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : DateTime.SpecifyKind(value, DateTimeKind.Utc));
}

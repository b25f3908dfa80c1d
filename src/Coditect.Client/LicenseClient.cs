using System.Net.Http.Headers;
using Coditect.Contracts.Licensing;

namespace Coditect.Client;

/// <summary>
/// Speaks the lease protocol for one licence key: takes seats (<see cref="AcquireAsync(string, CancellationToken)"/>),
/// checks the licence (<see cref="ValidateAsync"/>), gives seats back (<see cref="ReleaseAsync"/>) and verifies lease tokens
/// against the server's published keys, from a disk cache when the server cannot be reached. Thread-safe; make one per
/// licence key and keep it for the application's lifetime.
/// </summary>
public sealed partial class LicenseClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <summary>Creates a client for <paramref name="licenseKey"/> on the server at <paramref name="serverUri"/>.</summary>
    /// <param name="serverUri">The server's base address, e.g. <c>https://licensing.example.com</c>.</param>
    /// <param name="licenseKey">The licence key the vendor issued.</param>
    /// <param name="options">Optional settings; the defaults suit most applications.</param>
    /// <exception cref="ArgumentException">The key is empty or the address is not absolute.</exception>
    public LicenseClient(Uri serverUri, string licenseKey, LicenseClientOptions? options = null)
    {
        if (serverUri is null || !serverUri.IsAbsoluteUri)
        {
            throw new ArgumentException("The server address must be absolute, e.g. https://licensing.example.com.", nameof(serverUri));
        }

        if (string.IsNullOrWhiteSpace(licenseKey))
        {
            throw new ArgumentException("A licence key is required.", nameof(licenseKey));
        }

        ServerUri = serverUri.AbsoluteUri[serverUri.AbsoluteUri.Length - 1] == '/' ? serverUri : new Uri(serverUri.AbsoluteUri + "/");
        LicenseKey = licenseKey.Trim();
        Options = options ?? new LicenseClientOptions();
        (_http, _ownsHttp) = Options.HttpClient is { } shared
            ? (shared, false)
            : (Options.Handler is { } handler ? new HttpClient(handler, disposeHandler: false) : new HttpClient(), true);
        if (_ownsHttp)
        {
            _http.Timeout = Timeout.InfiniteTimeSpan; // each call sets its own deadline
        }

        SigningKeys = new SigningKeys(ServerUri, Options, _http);
    }

    /// <summary>The server's base address.</summary>
    public Uri ServerUri { get; }

    /// <summary>The licence key this client speaks for.</summary>
    public string LicenseKey { get; }

    /// <summary>The client's settings.</summary>
    public LicenseClientOptions Options { get; }

    internal TimeProvider Clock => Options.Clock;

    /// <summary>
    /// Takes a seat for the machine <paramref name="hardwareId"/> and keeps it: the returned <see cref="Lease"/> heartbeats in
    /// the background until it is disposed, which gives the seat back. Acquiring again from the same machine while its lease
    /// lives returns the same session, so a restarted application never holds two seats.
    /// </summary>
    /// <param name="hardwareId">This machine's id, usually <see cref="HardwareId.Default"/>.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The held lease.</returns>
    /// <exception cref="NoSeatsAvailableException">Every seat is held.</exception>
    /// <exception cref="LicenseNotFoundException">No licence has this key.</exception>
    /// <exception cref="LicenseSuspendedException">The licence is suspended.</exception>
    /// <exception cref="OrganizationSuspendedException">The platform suspended the vendor's organization.</exception>
    /// <exception cref="LicenseExpiredException">The licence has expired.</exception>
    /// <exception cref="CoditectUnavailableException">The server could not be reached after the retries.</exception>
    public Task<Lease> AcquireAsync(string hardwareId, CancellationToken ct = default) =>
        AcquireAsync(hardwareId, new AcquireOptions(), ct);

    /// <summary>Takes a seat, telling the server about the user and application (see <see cref="AcquireAsync(string, CancellationToken)"/>).</summary>
    /// <param name="hardwareId">This machine's id, usually <see cref="HardwareId.Default"/>.</param>
    /// <param name="options">What to tell the server about this user and application.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The held lease.</returns>
    public async Task<Lease> AcquireAsync(string hardwareId, AcquireOptions options, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(hardwareId))
        {
            throw new ArgumentException("A hardware id is required; HardwareId.Default() gives this machine's.", nameof(hardwareId));
        }

        options ??= new AcquireOptions();
        var client = options.Hostname is null && options.AppVersion is null && options.Os is null
            ? null
            : new ClientInfo(options.Hostname, options.AppVersion, options.Os);
        var body = new AcquireRequest(LicenseKey, hardwareId, options.UserEmail, client);
        var answer = await WithRetriesAsync(
            attemptCt => SendAsync<AcquireResponse>(HttpMethod.Post, "api/v1/licenses/acquire", body, Options.RequestTimeout, attemptCt), ct)
            .ConfigureAwait(false);
        return new Lease(this, hardwareId, answer);
    }

    /// <summary>
    /// Borrows a seat for offline work: the server holds it for this machine for <paramref name="hours"/> hours (at most the
    /// licence's <c>borrow_max_hours</c>, never beyond the licence's expiry) without heartbeats. Verify the returned token
    /// offline with <see cref="VerifyAsync"/> or <see cref="LeaseToken.Verify(string, JsonWebKeySet, string, DateTimeOffset, Guid?)"/>: it stays valid until
    /// <see cref="BorrowedSeat.BorrowedUntil"/>. A machine that already holds a lease borrows that same session.
    /// </summary>
    /// <param name="hardwareId">This machine's id, usually <see cref="HardwareId.Default"/>.</param>
    /// <param name="hours">How long to borrow the seat for, from 1 hour.</param>
    /// <param name="options">What to tell the server about this user and application.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The borrowed seat.</returns>
    /// <exception cref="ConflictException">The licence does not allow borrowing (<c>BORROWING_NOT_ALLOWED</c>).</exception>
    /// <exception cref="InvalidRequestException">More hours than the licence allows (field <c>hours</c>).</exception>
    /// <exception cref="NoSeatsAvailableException">Every seat is held.</exception>
    /// <exception cref="CoditectUnavailableException">The server could not be reached after the retries.</exception>
    public async Task<BorrowedSeat> BorrowAsync(string hardwareId, int hours, AcquireOptions? options = null, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(hardwareId))
        {
            throw new ArgumentException("A hardware id is required; HardwareId.Default() gives this machine's.", nameof(hardwareId));
        }

        if (hours < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(hours), hours, "A seat is borrowed for at least one hour.");
        }

        options ??= new AcquireOptions();
        var client = options.Hostname is null && options.AppVersion is null && options.Os is null
            ? null
            : new ClientInfo(options.Hostname, options.AppVersion, options.Os);
        var body = new BorrowRequest(LicenseKey, hardwareId, hours, options.UserEmail, client);
        var answer = await WithRetriesAsync(
            attemptCt => SendAsync<AcquireResponse>(HttpMethod.Post, "api/v1/licenses/borrow", body, Options.RequestTimeout, attemptCt), ct)
            .ConfigureAwait(false);
        return new BorrowedSeat(hardwareId, answer);
    }

    /// <summary>Gives a borrowed seat back before its time ends (a release). Returning it twice is not an error.</summary>
    /// <param name="seat">The seat <see cref="BorrowAsync"/> returned.</param>
    /// <param name="ct">Cancels the call.</param>
    public Task ReturnAsync(BorrowedSeat seat, CancellationToken ct = default) =>
        ReleaseAsync((seat ?? throw new ArgumentNullException(nameof(seat))).SessionId, ct);

    /// <summary>
    /// Asks the server whether the licence is usable and, with <paramref name="hardwareId"/>, whether that machine holds a live
    /// lease. An unknown key is an answer here (<c>Valid</c> false, <c>Code</c> <c>NOT_FOUND</c>), not an exception.
    /// </summary>
    /// <param name="hardwareId">A machine to ask about, or null for the licence alone.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The server's verdict; <c>Code</c> is one of <see cref="ValidationCodes"/>.</returns>
    /// <exception cref="CoditectUnavailableException">The server could not be reached after the retries.</exception>
    public Task<ValidateResponse> ValidateAsync(string? hardwareId = null, CancellationToken ct = default) =>
        WithRetriesAsync(attemptCt => SendAsync<ValidateResponse>(HttpMethod.Post, "api/v1/licenses/validate",
            new ValidateRequest(LicenseKey, hardwareId), Options.RequestTimeout, attemptCt), ct);

    /// <summary>Gives a session's seat back. Releasing a session twice is not an error.</summary>
    /// <param name="sessionId">The session, from <see cref="Lease.SessionId"/>.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <exception cref="SessionNotFoundException">The session is not one of this key's.</exception>
    /// <exception cref="CoditectUnavailableException">The server could not be reached after the retries.</exception>
    public Task ReleaseAsync(Guid sessionId, CancellationToken ct = default) =>
        WithRetriesAsync(async attemptCt =>
        {
            await SendAsync<object?>(HttpMethod.Post, "api/v1/licenses/release", new ReleaseRequest(LicenseKey, sessionId),
                Options.RequestTimeout, attemptCt).ConfigureAwait(false);
            return true;
        }, ct);

    /// <summary>
    /// Activates the machine <paramref name="hardwareId"/> on a node-locked licence. Activating the same machine again is not
    /// an error: it answers the same machine id and a fresh activation token. Verify the token offline with
    /// <see cref="ActivationToken.Verify"/>.
    /// </summary>
    /// <param name="hardwareId">This machine's id, usually <see cref="HardwareId.Default"/>.</param>
    /// <param name="name">A name for the machine, shown to the vendor.</param>
    /// <param name="platform">The machine's platform, e.g. <c>windows-x64</c>.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The machine id and its activation token.</returns>
    /// <exception cref="ConflictException">Every machine the licence allows is activated (<c>MACHINE_LIMIT_REACHED</c>), or the licence is floating (<c>LICENSE_NOT_NODE_LOCKED</c>).</exception>
    /// <exception cref="LicenseNotFoundException">No licence has this key.</exception>
    /// <exception cref="CoditectUnavailableException">The server could not be reached after the retries.</exception>
    public Task<ActivateResponse> ActivateAsync(string hardwareId, string? name = null, string? platform = null, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(hardwareId))
        {
            throw new ArgumentException("A hardware id is required; HardwareId.Default() gives this machine's.", nameof(hardwareId));
        }

        return WithRetriesAsync(attemptCt => SendAsync<ActivateResponse>(HttpMethod.Post, "api/v1/licenses/activate",
            new ActivateRequest(LicenseKey, hardwareId, name, platform), Options.RequestTimeout, attemptCt), ct);
    }

    /// <summary>Deactivates the machine <paramref name="hardwareId"/>: its place on the licence is free at once.</summary>
    /// <param name="hardwareId">The machine's id.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>A task that completes when the machine is deactivated.</returns>
    /// <exception cref="ResourceNotFoundException">The machine is not activated (<c>MACHINE_NOT_FOUND</c>).</exception>
    public Task DeactivateAsync(string hardwareId, CancellationToken ct = default) =>
        WithRetriesAsync(async attemptCt =>
        {
            await SendAsync<object?>(HttpMethod.Post, "api/v1/licenses/deactivate", new DeactivateRequest(LicenseKey, hardwareId),
                Options.RequestTimeout, attemptCt).ConfigureAwait(false);
            return true;
        }, ct);

    /// <summary>The server's public signing keys, fetched and cached on disk (see <see cref="Client.SigningKeys"/>).</summary>
    public SigningKeys SigningKeys { get; }

    /// <summary>
    /// Verifies a lease token offline with <see cref="LeaseToken.Verify(string, JsonWebKeySet, string, DateTimeOffset, Guid?)"/>: the same as
    /// <c>SigningKeys.VerifyAsync</c>; reaches the server only when no cached key matches the token.
    /// </summary>
    /// <param name="token">The compact JWS, from <see cref="Lease.Token"/>.</param>
    /// <param name="expectedHardwareId">The machine the token must be for.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The verified token.</returns>
    /// <exception cref="LeaseTokenException">The token is not valid, not for this machine, or has expired.</exception>
    /// <exception cref="CoditectUnavailableException">No keys are cached and the server could not be reached.</exception>
    public Task<LeaseToken> VerifyAsync(string token, string expectedHardwareId, CancellationToken ct = default) =>
        SigningKeys.VerifyAsync(token, expectedHardwareId, ct);

    /// <summary>Disposes the HTTP client the client made for itself (never one passed in the options).</summary>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    internal Task<HeartbeatResponse> HeartbeatAsync(Guid sessionId, TimeSpan timeout, CancellationToken ct) =>
        SendAsync<HeartbeatResponse>(HttpMethod.Post, "api/v1/licenses/heartbeat", new HeartbeatRequest(LicenseKey, sessionId), timeout, ct);

    internal Task<T> WithRetriesAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken ct) =>
        Options.Retry.RunAsync(Clock, call, ct);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : timeout);
        using var request = new HttpRequestMessage(method, new Uri(ServerUri, path)) { Content = body is null ? null : Wire.Body(body) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        try
        {
            if (typeof(T) == typeof(object))
            {
                await Wire.SendAsync(_http, request, deadline.Token).ConfigureAwait(false);
                return default!;
            }

            return await Wire.SendAsync<T>(_http, request, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new CoditectUnavailableException(CoditectUnavailableException.Unreachable, 0,
                $"The server at {ServerUri.GetLeftPart(UriPartial.Authority)} did not answer within {timeout.TotalSeconds:0.#} s.", e);
        }
    }
}

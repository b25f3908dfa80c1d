using System.Globalization;
using System.Net.Http.Headers;
using Coditect.Contracts.Common;
using Coditect.Contracts.Identity;
using Coditect.Contracts.Licensing;
using Coditect.Contracts.Organizations;

namespace Coditect.Client;

/// <summary>
/// The administration API for people and scripts (what the <c>coditect</c> CLI uses): sign in, organizations, licences and
/// their sessions. Authenticates with a user's access token (refreshed by itself when it has a refresh token) or an
/// organization API key (<c>cdk_...</c>). <c>org</c> parameters take an organization's slug or id.
/// </summary>
public sealed partial class AdminClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly SemaphoreSlim _refreshing = new(1, 1);

    /// <summary>Creates a client for the server at <paramref name="serverUri"/>.</summary>
    /// <param name="serverUri">The server's base address.</param>
    /// <param name="httpClient">An HTTP client to use (not disposed by this client), or null to make one.</param>
    public AdminClient(Uri serverUri, HttpClient? httpClient = null)
    {
        if (serverUri is null || !serverUri.IsAbsoluteUri)
        {
            throw new ArgumentException("The server address must be absolute, e.g. https://licensing.example.com.", nameof(serverUri));
        }

        ServerUri = serverUri.AbsoluteUri[serverUri.AbsoluteUri.Length - 1] == '/' ? serverUri : new Uri(serverUri.AbsoluteUri + "/");
        // The client's own deadline is per call (RequestTimeout, or UploadTimeout for a file), so the HttpClient has none.
        (_http, _ownsHttp) = httpClient is null ? (new HttpClient { Timeout = Timeout.InfiniteTimeSpan }, true) : (httpClient, false);
    }

    /// <summary>Raised after the client refreshed its tokens by itself, so a caller can store the new ones.</summary>
    public event EventHandler<TokenResponse>? TokensRefreshed;

    /// <summary>The server's base address.</summary>
    public Uri ServerUri { get; }

    /// <summary>How long a call may take before it fails as unanswered (default 30 s).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a file upload (a transcript import) may take (default 30 min): a large file streams for minutes.</summary>
    public TimeSpan UploadTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The bearer credential sent with each request: an access token or an API key.</summary>
    public string? AccessToken { get; set; }

    /// <summary>The refresh token used to renew an expired access token, if any.</summary>
    public string? RefreshToken { get; set; }

    /// <summary>Signs in with email and password, and keeps the tokens for the following calls.</summary>
    /// <param name="email">The account's email.</param>
    /// <param name="password">The account's password.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The tokens and the user.</returns>
    /// <exception cref="AuthenticationException">The email or password is wrong (<c>INVALID_CREDENTIALS</c>).</exception>
    public async Task<TokenResponse> LoginAsync(string email, string password, CancellationToken ct = default)
    {
        var tokens = await SendAsync<TokenResponse>(HttpMethod.Post, "api/v1/auth/login", new LoginRequest(email, password), false, ct).ConfigureAwait(false);
        Use(tokens);
        return tokens;
    }

    /// <summary>Exchanges <see cref="RefreshToken"/> for new tokens and keeps them.</summary>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The new tokens.</returns>
    /// <exception cref="AuthenticationException">The refresh token is unknown, expired or was already used.</exception>
    public async Task<TokenResponse> RefreshAsync(CancellationToken ct = default)
    {
        var tokens = await SendAsync<TokenResponse>(HttpMethod.Post, "api/v1/auth/refresh", new RefreshRequest(RefreshToken), false, ct).ConfigureAwait(false);
        Use(tokens);
        return tokens;
    }

    /// <summary>The signed-in user and their organizations.</summary>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The user.</returns>
    public Task<MeResponse> GetMeAsync(CancellationToken ct = default) =>
        SendAsync<MeResponse>(HttpMethod.Get, "api/v1/me", null, true, ct);

    /// <summary>The caller's organizations.</summary>
    /// <param name="page">The page, from 1.</param>
    /// <param name="pageSize">Items per page, 1 to 100.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>One page.</returns>
    public Task<PagedList<OrganizationResponse>> ListOrganizationsAsync(int page = 1, int pageSize = 50, CancellationToken ct = default) =>
        SendAsync<PagedList<OrganizationResponse>>(HttpMethod.Get, Wire.Query("api/v1/orgs", Paging(page, pageSize)), null, true, ct);

    /// <summary>Creates an organization with the signed-in user as its owner.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="slug">Its address name, or null to derive one from the name.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The organization.</returns>
    public Task<OrganizationResponse> CreateOrganizationAsync(string name, string? slug = null, CancellationToken ct = default) =>
        SendAsync<OrganizationResponse>(HttpMethod.Post, "api/v1/orgs", new CreateOrganizationRequest(name, slug), true, ct);

    /// <summary>Issues a licence. The answer is the only one that carries the full <c>LicenseKey</c>.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="request">Name, seats, optional expiry, entitlements and metadata.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The licence, with its key.</returns>
    public Task<LicenseResponse> CreateLicenseAsync(string org, CreateLicenseRequest request, CancellationToken ct = default) =>
        SendAsync<LicenseResponse>(HttpMethod.Post, Org(org, "licenses"), request, true, ct);

    /// <summary>
    /// Sets how long a client may borrow one of the licence's seats for offline work, in hours (0 turns borrowing off).
    /// Seats already borrowed keep their time.
    /// </summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="licenseId">The licence.</param>
    /// <param name="hours">0 to 8,784 (a year).</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The licence.</returns>
    public Task<LicenseResponse> SetBorrowMaxHoursAsync(string org, Guid licenseId, int hours, CancellationToken ct = default) =>
        SendAsync<LicenseResponse>(Patch, Org(org, $"licenses/{licenseId}"), new Dictionary<string, int> { ["borrow_max_hours"] = hours }, true, ct);

    /// <summary>The organization's licences.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="status">Only licences with this status (<c>active</c>, <c>suspended</c>, <c>expired</c>), or null for all.</param>
    /// <param name="search">Only licences whose name contains this, or null.</param>
    /// <param name="page">The page, from 1.</param>
    /// <param name="pageSize">Items per page, 1 to 100.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>One page.</returns>
    public Task<PagedList<LicenseResponse>> ListLicensesAsync(string org, string? status = null, string? search = null,
        int page = 1, int pageSize = 50, CancellationToken ct = default) =>
        SendAsync<PagedList<LicenseResponse>>(HttpMethod.Get,
            Wire.Query(Org(org, "licenses"), [("status", status), ("search", search), .. Paging(page, pageSize)]), null, true, ct);

    /// <summary>One licence, with its live <c>SeatsUsed</c>.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="licenseId">The licence.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The licence.</returns>
    public Task<LicenseResponse> GetLicenseAsync(string org, Guid licenseId, CancellationToken ct = default) =>
        SendAsync<LicenseResponse>(HttpMethod.Get, Org(org, $"licenses/{licenseId}"), null, true, ct);

    /// <summary>Suspends a licence: new acquires and heartbeats are refused with <c>LICENSE_SUSPENDED</c>.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="licenseId">The licence.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The licence.</returns>
    public Task<LicenseResponse> SuspendLicenseAsync(string org, Guid licenseId, CancellationToken ct = default) =>
        SendAsync<LicenseResponse>(HttpMethod.Post, Org(org, $"licenses/{licenseId}/suspend"), null, true, ct);

    /// <summary>Lifts a suspension.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="licenseId">The licence.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The licence.</returns>
    public Task<LicenseResponse> ReinstateLicenseAsync(string org, Guid licenseId, CancellationToken ct = default) =>
        SendAsync<LicenseResponse>(HttpMethod.Post, Org(org, $"licenses/{licenseId}/reinstate"), null, true, ct);

    /// <summary>Sets a licence's new expiry.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="licenseId">The licence.</param>
    /// <param name="expiresAt">The new expiry (UTC), or null for a perpetual licence.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The licence.</returns>
    public Task<LicenseResponse> RenewLicenseAsync(string org, Guid licenseId, DateTime? expiresAt, CancellationToken ct = default) =>
        SendAsync<LicenseResponse>(HttpMethod.Post, Org(org, $"licenses/{licenseId}/renew"), new RenewLicenseRequest(expiresAt), true, ct);

    /// <summary>Deletes a licence and ends its sessions.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="licenseId">The licence.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>A task that completes when the licence is deleted.</returns>
    public Task DeleteLicenseAsync(string org, Guid licenseId, CancellationToken ct = default) =>
        SendAsync<object?>(HttpMethod.Delete, Org(org, $"licenses/{licenseId}"), null, true, ct);

    /// <summary>A licence's sessions.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="licenseId">The licence.</param>
    /// <param name="status">Only sessions with this status (e.g. <c>active</c>), or null for all.</param>
    /// <param name="page">The page, from 1.</param>
    /// <param name="pageSize">Items per page, 1 to 100.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>One page.</returns>
    public Task<PagedList<SessionResponse>> ListSessionsAsync(string org, Guid licenseId, string? status = SessionStatuses.Active,
        int page = 1, int pageSize = 50, CancellationToken ct = default) =>
        SendAsync<PagedList<SessionResponse>>(HttpMethod.Get,
            Wire.Query(Org(org, $"licenses/{licenseId}/sessions"), [("status", status), .. Paging(page, pageSize)]), null, true, ct);

    /// <summary>Ends a session at once and frees its seat; the holder's next heartbeat answers <c>SESSION_RELEASED</c>.</summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="sessionId">The session.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>A task that completes when the session is ended.</returns>
    public Task KickSessionAsync(string org, Guid sessionId, CancellationToken ct = default) =>
        SendAsync<object?>(HttpMethod.Delete, Org(org, $"sessions/{sessionId}"), null, true, ct);

    /// <summary>
    /// Makes a new lease signing key for the organization and retires its current one, which stays published until what it
    /// signed has expired. Applications that verify offline pick the new key up on their next key-set fetch.
    /// </summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="algorithm"><c>ES256</c>, <c>EdDSA</c> or <c>RS256</c>; null for the server's default.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The new key.</returns>
    public Task<SigningKeyResponse> RotateSigningKeyAsync(string org, string? algorithm = null, CancellationToken ct = default) =>
        SendAsync<SigningKeyResponse>(HttpMethod.Post, Org(org, "signing-keys/rotate"), new RotateSigningKeyRequest(algorithm), true, ct);

    /// <summary>Disposes the HTTP client this client made for itself.</summary>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }

        _refreshing.Dispose();
    }

    private void Use(TokenResponse tokens)
    {
        AccessToken = tokens.AccessToken;
        RefreshToken = tokens.RefreshToken;
    }

    private static (string, string?)[] Paging(int page, int pageSize) =>
    [
        ("page", page == 1 ? null : page.ToString(CultureInfo.InvariantCulture)),
        ("page_size", pageSize == 50 ? null : pageSize.ToString(CultureInfo.InvariantCulture)),
    ];

    private static string Org(string org, string path) => $"api/v1/orgs/{Uri.EscapeDataString(org)}/{path}";

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, bool authenticated, CancellationToken ct)
    {
        try
        {
            return await SendOnceAsync<T>(method, path, body, authenticated, ct).ConfigureAwait(false);
        }
        catch (AuthenticationException e) when (authenticated && e.Status == 401 && RefreshToken is not null && AccessToken?.StartsWith("cdk_", StringComparison.Ordinal) != true)
        {
            // The access token expired: renew it once with the refresh token and repeat the call.
            await _refreshing.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var tokens = await RefreshAsync(ct).ConfigureAwait(false);
                TokensRefreshed?.Invoke(this, tokens);
            }
            finally
            {
                _refreshing.Release();
            }

            return await SendOnceAsync<T>(method, path, body, authenticated, ct).ConfigureAwait(false);
        }
    }

    private async Task<T> SendOnceAsync<T>(HttpMethod method, string path, object? body, bool authenticated, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(ServerUri, path));
        if (body is Func<HttpContent> upload)
        {
            request.Content = upload(); // made again for a repeated call: a stream is read once
        }
        else if (body is not null)
        {
            request.Content = Wire.Body(body);
        }
        else if (method == HttpMethod.Post)
        {
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        }

        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (authenticated && AccessToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AccessToken);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(body is Func<HttpContent> ? UploadTimeout : RequestTimeout);
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
                $"The server at {ServerUri.GetLeftPart(UriPartial.Authority)} did not answer in time.", e);
        }
    }
}

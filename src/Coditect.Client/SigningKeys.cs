namespace Coditect.Client;

/// <summary>
/// The public keys that verify an organization's lease tokens, activation tokens and licence files
/// (<c>/api/v1/orgs/{id}/jwks.json</c>), kept in memory and on disk: every successful fetch is written to a cache file,
/// and when the server cannot be reached the cached copy is used, so an application that starts offline can still verify
/// the lease token it holds. Each organization signs with its own keys; with
/// <see cref="LicenseClientOptions.OrganizationId"/> set, only that organization's keys and tokens are trusted. Needs no
/// licence key.
/// </summary>
public sealed class SigningKeys
{
    private readonly Uri _server;
    private readonly LicenseClientOptions _options;
    private readonly HttpClient _http;
    private readonly Dictionary<Guid, JsonWebKeySet> _keys = [];

    /// <summary>Creates the key source for the server at <paramref name="serverUri"/>.</summary>
    /// <param name="serverUri">The server's base address.</param>
    /// <param name="options">Settings (HTTP client, clock, cache path, retries, the organization); null for the defaults.</param>
    public SigningKeys(Uri serverUri, LicenseClientOptions? options = null)
        : this(serverUri, options ?? new LicenseClientOptions(), null)
    {
    }

    internal SigningKeys(Uri serverUri, LicenseClientOptions options, HttpClient? http)
    {
        if (serverUri is null || !serverUri.IsAbsoluteUri)
        {
            throw new ArgumentException("The server address must be absolute, e.g. https://licensing.example.com.", nameof(serverUri));
        }

        _server = serverUri.AbsoluteUri[serverUri.AbsoluteUri.Length - 1] == '/' ? serverUri : new Uri(serverUri.AbsoluteUri + "/");
        _options = options;
        _http = http ?? options.HttpClient ?? SharedHttp(options.Handler);
        CachePath = options.OrganizationId is { } pinned ? CachePathFor(pinned) : options.JwksCachePath ?? DefaultCachePath(_server, null);
    }

    /// <summary>
    /// The cache file of <see cref="LicenseClientOptions.OrganizationId"/>'s keys (with none pinned, the path other
    /// organizations' files are named after); empty when caching is off (<see cref="LicenseClientOptions.JwksCachePath"/> set to "").
    /// </summary>
    public string CachePath { get; }

    /// <summary>
    /// Fetches the keys of <see cref="LicenseClientOptions.OrganizationId"/> (and caches them), or returns the cached copy
    /// when the server cannot be reached.
    /// </summary>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The key set.</returns>
    /// <exception cref="InvalidOperationException">No organization is pinned: use <see cref="GetAsync(Guid, CancellationToken)"/>.</exception>
    /// <exception cref="CoditectUnavailableException">The server could not be reached and nothing is cached.</exception>
    public Task<JsonWebKeySet> GetAsync(CancellationToken ct = default) => _options.OrganizationId is { } pinned
        ? GetAsync(pinned, ct)
        : throw new InvalidOperationException(
            "Each organization signs with its own keys: set LicenseClientOptions.OrganizationId to your organization's id, or call GetAsync(organizationId).");

    /// <summary>Fetches one organization's keys (and caches them), or returns the cached copy when the server cannot be reached.</summary>
    /// <param name="organizationId">The organization.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The key set.</returns>
    /// <exception cref="CoditectUnavailableException">The server could not be reached and nothing is cached.</exception>
    public async Task<JsonWebKeySet> GetAsync(Guid organizationId, CancellationToken ct = default)
    {
        var path = CachePathFor(organizationId);
        try
        {
            var json = await _options.Retry.RunAsync(_options.Clock, c => FetchAsync(organizationId, c), ct).ConfigureAwait(false);
            var keys = JsonWebKeySet.Parse(json);
            Save(path, json);
            Remember(organizationId, keys);
            return keys;
        }
        catch (CoditectUnavailableException) when (Load(path) is { } cached)
        {
            Remember(organizationId, cached);
            return cached;
        }
    }

    /// <summary>
    /// Verifies a lease token with <see cref="LeaseToken.Verify(string, JsonWebKeySet, string, DateTimeOffset, Guid?)"/>
    /// against the keys of <see cref="LicenseClientOptions.OrganizationId"/> (with none pinned, of the organization the
    /// token names), in memory or in the cache, fetching them from the server only when neither has the token's key (a new
    /// install, or a key rotation since the last fetch).
    /// </summary>
    /// <param name="token">The compact JWS.</param>
    /// <param name="expectedHardwareId">The machine the token must be for.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The verified token.</returns>
    /// <exception cref="LeaseTokenException">The token is not valid, not for this machine or organization, or has expired.</exception>
    /// <exception cref="CoditectUnavailableException">No key is known for the token and the server could not be reached.</exception>
    public async Task<LeaseToken> VerifyAsync(string token, string expectedHardwareId, CancellationToken ct = default)
    {
        var pinned = _options.OrganizationId;
        var claimed = LeaseToken.ClaimedOrganization(token);
        if (pinned is not null && claimed is not null && claimed != pinned)
        {
            // Not worth a fetch: whoever signed it, it is not this organization's token.
            throw LeaseToken.Fail(LeaseTokenFailure.WrongOrganization, "The lease token was issued by another organization than the one expected.");
        }

        var organizationId = pinned ?? claimed ?? throw LeaseToken.Fail(LeaseTokenFailure.Malformed, "The lease token names no organization (org_id).");
        var keys = Known(organizationId) ?? Load(CachePathFor(organizationId));
        if (keys is not null)
        {
            try
            {
                return LeaseToken.Verify(token, keys, expectedHardwareId, _options.Clock.GetUtcNow(), pinned);
            }
            catch (LeaseTokenException e) when (e.Reason == LeaseTokenFailure.UnknownKey)
            {
                // The organization may have rotated its key since these were fetched: fetch below.
            }
        }

        keys = await GetAsync(organizationId, ct).ConfigureAwait(false);
        return LeaseToken.Verify(token, keys, expectedHardwareId, _options.Clock.GetUtcNow(), pinned);
    }

    private JsonWebKeySet? Known(Guid organizationId)
    {
        lock (_keys)
        {
            return _keys.TryGetValue(organizationId, out var keys) ? keys : null;
        }
    }

    private void Remember(Guid organizationId, JsonWebKeySet keys)
    {
        lock (_keys)
        {
            _keys[organizationId] = keys;
        }
    }

    private async Task<string> FetchAsync(Guid organizationId, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_options.RequestTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_server, $"api/v1/orgs/{organizationId:D}/jwks.json"));
        try
        {
            using var response = await Wire.SendRawAsync(_http, request, deadline.Token).ConfigureAwait(false);
            return await Compat.ReadTextAsync(response.Content, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new CoditectUnavailableException(CoditectUnavailableException.Unreachable, 0,
                $"The server at {_server.GetLeftPart(UriPartial.Authority)} did not answer in time.", e);
        }
    }

    /// <summary>The organization's cache file: the given path for the pinned organization, the id appended for another.</summary>
    private string CachePathFor(Guid organizationId) => _options.JwksCachePath switch
    {
        "" => "",
        null => DefaultCachePath(_server, organizationId),
        var path when organizationId == _options.OrganizationId => path,
        var path => $"{path}.{organizationId:N}",
    };

    private static void Save(string path, string json)
    {
        if (path.Length == 0)
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllText(temporary, json);
            if (File.Exists(path))
            {
                File.Replace(temporary, path, null);
            }
            else
            {
                File.Move(temporary, path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only home folder costs only the offline start, not the lease.
        }
    }

    private static JsonWebKeySet? Load(string path)
    {
        if (path.Length == 0 || !File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonWebKeySet.Parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static HttpClient? _shared;

    private static HttpClient SharedHttp(HttpMessageHandler? handler)
    {
        if (handler is not null)
        {
            return new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        }

        return LazyInitializer.EnsureInitialized(ref _shared, () => new HttpClient { Timeout = Timeout.InfiniteTimeSpan })!;
    }

    private static string DefaultCachePath(Uri server, Guid? organizationId)
    {
        var folder = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        if (string.IsNullOrEmpty(folder))
        {
            folder = Path.GetTempPath();
        }

        var id = Compat.Sha256Hex(server.GetLeftPart(UriPartial.Path)).Substring(0, 12);
        var organization = organizationId is { } org ? "_" + org.ToString("N") : "";
        return Path.Combine(folder, "coditect", "jwks", $"{server.Host}_{server.Port}_{id}{organization}.json");
    }
}

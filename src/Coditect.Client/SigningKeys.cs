namespace Coditect.Client;

/// <summary>
/// A server's public signing keys (<c>/.well-known/jwks.json</c>), kept in memory and on disk: every successful fetch is
/// written to <see cref="CachePath"/>, and when the server cannot be reached the cached copy is used, so an application
/// that starts offline can still verify the lease token it holds. Needs no licence key.
/// </summary>
public sealed class SigningKeys
{
    private readonly Uri _server;
    private readonly LicenseClientOptions _options;
    private readonly HttpClient _http;
    private JsonWebKeySet? _keys;

    /// <summary>Creates the key source for the server at <paramref name="serverUri"/>.</summary>
    /// <param name="serverUri">The server's base address.</param>
    /// <param name="options">Settings (HTTP client, clock, cache path, retries); null for the defaults.</param>
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
        CachePath = options.JwksCachePath ?? DefaultCachePath(_server);
    }

    /// <summary>The cache file; empty when caching is off (<see cref="LicenseClientOptions.JwksCachePath"/> set to "").</summary>
    public string CachePath { get; }

    /// <summary>Fetches the keys from the server (and caches them), or returns the cached copy when the server cannot be reached.</summary>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The key set.</returns>
    /// <exception cref="CoditectUnavailableException">The server could not be reached and nothing is cached.</exception>
    public async Task<JsonWebKeySet> GetAsync(CancellationToken ct = default)
    {
        try
        {
            var json = await _options.Retry.RunAsync(_options.Clock, FetchAsync, ct).ConfigureAwait(false);
            var keys = JsonWebKeySet.Parse(json);
            Save(json);
            _keys = keys;
            return keys;
        }
        catch (CoditectUnavailableException) when (Load() is { } cached)
        {
            _keys = cached;
            return cached;
        }
    }

    /// <summary>
    /// Verifies a lease token with <see cref="LeaseToken.Verify"/> against the keys in memory or in the cache, fetching them
    /// from the server only when neither has the token's key (a new install, or a key rotation since the last fetch).
    /// </summary>
    /// <param name="token">The compact JWS.</param>
    /// <param name="expectedHardwareId">The machine the token must be for.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>The verified token.</returns>
    /// <exception cref="LeaseTokenException">The token is not valid, not for this machine, or has expired.</exception>
    /// <exception cref="CoditectUnavailableException">No key is known for the token and the server could not be reached.</exception>
    public async Task<LeaseToken> VerifyAsync(string token, string expectedHardwareId, CancellationToken ct = default)
    {
        var keys = _keys ?? Load();
        if (keys is not null)
        {
            try
            {
                return LeaseToken.Verify(token, keys, expectedHardwareId, _options.Clock.GetUtcNow());
            }
            catch (LeaseTokenException e) when (e.Reason == LeaseTokenFailure.UnknownKey)
            {
                // The server may have rotated its key since these were fetched: fetch below.
            }
        }

        keys = await GetAsync(ct).ConfigureAwait(false);
        return LeaseToken.Verify(token, keys, expectedHardwareId, _options.Clock.GetUtcNow());
    }

    private async Task<string> FetchAsync(CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_options.RequestTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_server, ".well-known/jwks.json"));
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

    private void Save(string json)
    {
        if (CachePath.Length == 0)
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(CachePath))!);
            var temporary = CachePath + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllText(temporary, json);
            if (File.Exists(CachePath))
            {
                File.Replace(temporary, CachePath, null);
            }
            else
            {
                File.Move(temporary, CachePath);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only home folder costs only the offline start, not the lease.
        }
    }

    private JsonWebKeySet? Load()
    {
        if (CachePath.Length == 0 || !File.Exists(CachePath))
        {
            return null;
        }

        try
        {
            return JsonWebKeySet.Parse(File.ReadAllText(CachePath));
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

    private static string DefaultCachePath(Uri server)
    {
        var folder = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        if (string.IsNullOrEmpty(folder))
        {
            folder = Path.GetTempPath();
        }

        var id = Compat.Sha256Hex(server.GetLeftPart(UriPartial.Path)).Substring(0, 12);
        return Path.Combine(folder, "coditect", "jwks", $"{server.Host}_{server.Port}_{id}.json");
    }
}

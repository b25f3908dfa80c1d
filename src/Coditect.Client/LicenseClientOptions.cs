namespace Coditect.Client;

/// <summary>Settings for a <see cref="LicenseClient"/>. Every property has a working default.</summary>
public sealed class LicenseClientOptions
{
    /// <summary>
    /// An <see cref="System.Net.Http.HttpClient"/> to send requests with (proxies, custom certificates, logging). The client
    /// does not dispose it. When null, the client makes its own from <see cref="Handler"/>.
    /// </summary>
    public HttpClient? HttpClient { get; set; }

    /// <summary>The handler for the client's own <see cref="System.Net.Http.HttpClient"/>, when <see cref="HttpClient"/> is null.</summary>
    public HttpMessageHandler? Handler { get; set; }

    /// <summary>The clock for lease expiry and heartbeat pacing. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>
    /// Where the server's public signing keys (JWKS) are cached, so an application that starts offline can still verify
    /// the lease token it holds. Default: <c>{LocalApplicationData}/coditect/jwks/{host}_{port}_{hash}_{organization}.json</c>,
    /// one file per organization. A path given here is the file of <see cref="OrganizationId"/>'s keys (another
    /// organization's are kept beside it, the id appended). An empty string turns the cache off.
    /// </summary>
    public string? JwksCachePath { get; set; }

    /// <summary>
    /// The vendor's organization id, fixed in the application: pins verification to that organization's signing keys
    /// (<c>/api/v1/orgs/{id}/jwks.json</c>) and its <c>org_id</c>, so a token another tenant's licence gave never passes,
    /// whatever server it came from. Recommended. When null, <see cref="SigningKeys"/> fetches the key set of the
    /// organization a token names.
    /// </summary>
    public Guid? OrganizationId { get; set; }

    /// <summary>How transient failures are retried.</summary>
    public RetryPolicy Retry { get; set; } = new();

    /// <summary>The longest one request may take. Default 30 seconds; a lease also never waits past its own expiry.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The fraction of the heartbeat interval by which each heartbeat is randomly brought forward (never delayed), so that
    /// clients started together do not beat together. Default 0.1.
    /// </summary>
    public double HeartbeatJitter { get; set; } = 0.1;
}

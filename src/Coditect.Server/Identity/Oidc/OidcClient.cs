using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Coditect.Server.Identity.Oidc;

/// <summary>What a provider says about the person, from an id token that passed every check.</summary>
public sealed record OidcIdentity(string Subject, string? Email, bool EmailVerified, string? Name);

/// <summary>
/// The authorization code flow's provider side (singleton): the discovery document and its JWKS (cached an hour, fetched
/// again once when a token names a key the cache lacks), the authorization request, the code exchange, and the id
/// token's checks: signature by a key of the provider's JWKS (asymmetric algorithms only), issuer = the discovery
/// document's, audience = the client id, expiry against the injected clock, and the nonce.
/// </summary>
public sealed class OidcClient(IHttpClientFactory httpClients, TimeProvider clock, ILogger<OidcClient> logger)
{
    public const string HttpClientName = "oidc";

    private static readonly TimeSpan CacheFor = TimeSpan.FromHours(1);
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(2);
    private static readonly string[] Algorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    private readonly ConcurrentDictionary<string, Metadata> _metadata = new(StringComparer.Ordinal);
    private readonly JsonWebTokenHandler _handler = new();

    /// <summary>The provider's endpoints and signing keys, as fetched at <see cref="FetchedAt"/>.</summary>
    public sealed record Metadata(string Issuer, string AuthorizationEndpoint, string TokenEndpoint, IList<SecurityKey> Keys, DateTimeOffset FetchedAt);

    private sealed record Discovery(
        [property: JsonPropertyName("issuer")] string? Issuer,
        [property: JsonPropertyName("authorization_endpoint")] string? AuthorizationEndpoint,
        [property: JsonPropertyName("token_endpoint")] string? TokenEndpoint,
        [property: JsonPropertyName("jwks_uri")] string? JwksUri);

    private sealed record TokenAnswer([property: JsonPropertyName("id_token")] string? IdToken);

    public async Task<Metadata> MetadataAsync(OidcProviderOptions provider, CancellationToken ct, bool refresh = false)
    {
        var authority = provider.Authority.TrimEnd('/');
        if (!refresh && _metadata.TryGetValue(authority, out var cached) && clock.GetUtcNow() - cached.FetchedAt < CacheFor)
        {
            return cached;
        }

        var http = httpClients.CreateClient(HttpClientName);
        var discovery = await http.GetFromJsonAsync<Discovery>(authority + "/.well-known/openid-configuration", ct)
            ?? throw new OidcException("The provider's discovery document is empty.");
        if (discovery.Issuer?.TrimEnd('/') != authority || !IsEndpoint(discovery.AuthorizationEndpoint)
            || !IsEndpoint(discovery.TokenEndpoint) || !IsEndpoint(discovery.JwksUri))
        {
            throw new OidcException("The provider's discovery document does not name this authority as its issuer, or lacks an endpoint.");
        }

        var jwks = new JsonWebKeySet(await http.GetStringAsync(discovery.JwksUri, ct));
        var metadata = new Metadata(discovery.Issuer!, discovery.AuthorizationEndpoint!, discovery.TokenEndpoint!, jwks.GetSigningKeys(), clock.GetUtcNow());
        _metadata[authority] = metadata;
        return metadata;
    }

    /// <summary>Where to send the browser: the authorization endpoint with the code flow's parameters (PKCE S256).</summary>
    public async Task<string> AuthorizationUrlAsync(OidcProviderOptions provider, string redirectUri, OidcState state, CancellationToken ct)
    {
        var metadata = await MetadataAsync(provider, ct);
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = provider.ClientId,
            ["redirect_uri"] = redirectUri,
            ["scope"] = provider.ScopeParameter(),
            ["state"] = state.State,
            ["nonce"] = state.Nonce,
            ["code_challenge"] = Challenge(state.Verifier),
            ["code_challenge_method"] = "S256",
        };
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(metadata.AuthorizationEndpoint, query);
    }

    /// <summary>Exchanges the code for an id token and checks it; throws <see cref="OidcException"/> for anything wrong.</summary>
    public async Task<OidcIdentity> ExchangeAsync(OidcProviderOptions provider, string code, string redirectUri, OidcState state, CancellationToken ct)
    {
        var metadata = await MetadataAsync(provider, ct);
        var http = httpClients.CreateClient(HttpClientName);
        using var response = await http.PostAsync(metadata.TokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["client_id"] = provider.ClientId,
            ["client_secret"] = provider.ClientSecret,
            ["code_verifier"] = state.Verifier,
        }), ct);
        if (!response.IsSuccessStatusCode)
        {
            // The body may echo what was sent: only the status is logged.
            logger.LogWarning("OIDC token endpoint of {Authority} answered {Status}", provider.Authority, (int)response.StatusCode);
            throw new OidcException("The provider refused to exchange the sign-in code.");
        }

        var answer = await response.Content.ReadFromJsonAsync<TokenAnswer>(ct);
        if (string.IsNullOrEmpty(answer?.IdToken))
        {
            throw new OidcException("The provider's answer carries no id token.");
        }

        var result = await ValidateAsync(answer.IdToken, provider, metadata);
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // The provider may have rotated its keys since the cache was filled: fetch them once more.
            result = await ValidateAsync(answer.IdToken, provider, await MetadataAsync(provider, ct, refresh: true));
        }

        if (!result.IsValid)
        {
            logger.LogWarning("OIDC id token from {Authority} refused: {Reason}", provider.Authority, result.Exception?.GetType().Name);
            throw new OidcException("The provider's id token did not pass its checks.");
        }

        var token = (JsonWebToken)result.SecurityToken;
        if (!token.TryGetPayloadValue<string>("nonce", out var nonce) || !FixedTimeEquals(nonce, state.Nonce))
        {
            throw new OidcException("The id token was not issued for this sign-in (nonce).");
        }

        // Several audiences: the token must name us as the party it was issued to.
        if (token.Audiences.Count() > 1 && (!token.TryGetPayloadValue<string>("azp", out var azp) || azp != provider.ClientId))
        {
            throw new OidcException("The id token was issued to another party (azp).");
        }

        token.TryGetPayloadValue<string>("email", out var email);
        token.TryGetPayloadValue<string>("name", out var name);
        return new OidcIdentity(token.Subject, string.IsNullOrWhiteSpace(email) ? null : email.Trim(), EmailVerified(token), name);
    }

    private Task<TokenValidationResult> ValidateAsync(string idToken, OidcProviderOptions provider, Metadata metadata) =>
        _handler.ValidateTokenAsync(idToken, new TokenValidationParameters
        {
            ValidIssuer = metadata.Issuer,
            ValidAudience = provider.ClientId,
            IssuerSigningKeys = metadata.Keys,
            ValidAlgorithms = Algorithms,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
            ValidateLifetime = true,
            ClockSkew = ClockSkew,
            LifetimeValidator = ValidateLifetime,
        });

    // The library's own check reads the system clock; ours reads the injected one, as AccessTokens does.
    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return expires is { } exp && now <= exp.ToUniversalTime() + ClockSkew
            && (notBefore is not { } nbf || now >= nbf.ToUniversalTime() - ClockSkew);
    }

    /// <summary><c>email_verified</c> as a JSON true (or the string "true", which some providers send); anything else is false.</summary>
    private static bool EmailVerified(JsonWebToken token)
    {
        if (token.TryGetPayloadValue<bool>("email_verified", out var verified))
        {
            return verified;
        }

        return token.TryGetPayloadValue<string>("email_verified", out var text) && string.Equals(text, "true", StringComparison.OrdinalIgnoreCase);
    }

    public static string Challenge(string verifier) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    private static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private static bool IsEndpoint(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);
}

/// <summary>A sign-in that cannot go on; its message is shown to the person (it carries nothing secret).</summary>
public sealed class OidcException(string message) : Exception(message);

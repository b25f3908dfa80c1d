using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace Coditect.Server.Identity.Oidc;

/// <summary>
/// GitHub's side of a console sign-in (singleton; a provider of <c>Kind=github</c>): GitHub speaks OAuth 2.0 without
/// id tokens, so the person is who its API says the access token belongs to. The authorization request asks for
/// <see cref="Scope"/> with state and PKCE (S256); the code is exchanged at <c>{base}/login/oauth/access_token</c>
/// with the client secret and the verifier; then <c>GET {api}/user</c> gives the subject (the numeric, stable
/// <c>id</c>, never the renamable login) and the name, and <c>GET {api}/user/emails</c> the primary address and
/// whether GitHub verified it. The access token is used for those two calls only and kept nowhere.
/// </summary>
public sealed class GitHubClient(IHttpClientFactory httpClients, ILogger<GitHubClient> logger)
{
    /// <summary>The profile (<c>read:user</c>) and the addresses with their verification (<c>user:email</c>); nothing else.</summary>
    public const string Scope = "read:user user:email";

    private const string ApiVersion = "2022-11-28";

    private sealed record TokenAnswer(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("error")] string? Error);

    private sealed record GitHubUser(
        [property: JsonPropertyName("id")] long? Id,
        [property: JsonPropertyName("login")] string? Login,
        [property: JsonPropertyName("name")] string? Name);

    private sealed record GitHubEmail(
        [property: JsonPropertyName("email")] string? Email,
        [property: JsonPropertyName("primary")] bool Primary,
        [property: JsonPropertyName("verified")] bool Verified);

    /// <summary>Where to send the browser: GitHub's authorization page with the client id, redirect URI, scope, state and PKCE challenge.</summary>
    public static string AuthorizationUrl(OidcProviderOptions provider, string redirectUri, OidcState state) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(provider.BaseUrl() + "/login/oauth/authorize", new Dictionary<string, string?>
        {
            ["client_id"] = provider.ClientId,
            ["redirect_uri"] = redirectUri,
            ["scope"] = Scope,
            ["state"] = state.State,
            ["code_challenge"] = OidcClient.Challenge(state.Verifier),
            ["code_challenge_method"] = "S256",
        });

    /// <summary>Exchanges the code for an access token and asks GitHub whose it is; throws <see cref="OidcException"/> for anything wrong.</summary>
    public async Task<OidcIdentity> ExchangeAsync(OidcProviderOptions provider, string code, string redirectUri, OidcState state, CancellationToken ct)
    {
        var http = httpClients.CreateClient(OidcClient.HttpClientName);
        using var exchange = new HttpRequestMessage(HttpMethod.Post, provider.BaseUrl() + "/login/oauth/access_token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["client_id"] = provider.ClientId,
                ["client_secret"] = provider.ClientSecret,
                ["code"] = code,
                ["redirect_uri"] = redirectUri,
                ["code_verifier"] = state.Verifier,
            }),
        };
        exchange.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await http.SendAsync(exchange, ct);
        // GitHub answers a refused exchange with 200 and an "error" member: both are refusals.
        var answer = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<TokenAnswer>(ct) : null;
        if (string.IsNullOrEmpty(answer?.AccessToken))
        {
            // The error code only (bad_verification_code, incorrect_client_credentials, ...): never the body or the token.
            logger.LogWarning("GitHub token endpoint of {Base} answered {Status} {Error}", provider.BaseUrl(), (int)response.StatusCode,
                answer?.Error is { } error ? error[..Math.Min(error.Length, 60)] : null);
            throw new OidcException("GitHub refused to exchange the sign-in code.");
        }

        var user = await GetAsync<GitHubUser>(http, provider.GitHubApiUrl() + "/user", answer.AccessToken, ct);
        if (user?.Id is not { } id)
        {
            throw new OidcException("GitHub did not say who you are.");
        }

        var emails = await GetAsync<List<GitHubEmail>>(http, provider.GitHubApiUrl() + "/user/emails", answer.AccessToken, ct) ?? [];
        var primary = emails.FirstOrDefault(e => e.Primary && !string.IsNullOrWhiteSpace(e.Email));
        var name = string.IsNullOrWhiteSpace(user.Name) ? user.Login : user.Name;
        return new OidcIdentity(id.ToString(System.Globalization.CultureInfo.InvariantCulture), primary?.Email?.Trim(), primary?.Verified == true, name);
    }

    private async Task<T?> GetAsync<T>(HttpClient http, string url, string accessToken, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("Coditect", "1.0")); // GitHub's API refuses requests without one
        request.Headers.Add("X-GitHub-Api-Version", ApiVersion);
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            logger.LogWarning("GitHub API {Path} answered {Status}", new Uri(url).AbsolutePath, (int)response.StatusCode);
            throw new OidcException("GitHub did not let us read your profile and e-mail addresses.");
        }

        return await response.Content.ReadFromJsonAsync<T>(ct);
    }
}

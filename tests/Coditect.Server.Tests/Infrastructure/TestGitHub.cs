using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Coditect.Server.Tests.Infrastructure;

/// <summary>One of a GitHub account's addresses, as <c>GET /user/emails</c> lists it.</summary>
public sealed record GitHubEmailSpec(string Email, bool Primary = true, bool Verified = true);

/// <summary>Who signs in at GitHub next: <c>GET /user</c>'s id, login and name, and the account's addresses.</summary>
public sealed record GitHubUserSpec(long Id, string Login, string? Name, IReadOnlyList<GitHubEmailSpec> Emails);

/// <summary>
/// A stand-in for GitHub on a loopback port (Kestrel), site and API on one server (the API under <c>/api</c>):
/// <c>/login/oauth/authorize</c> redirects straight back with a code for <see cref="Next"/>;
/// <c>/login/oauth/access_token</c> checks the client id and secret, the code, the redirect URI and the PKCE verifier
/// (S256), and answers JSON only when asked for it, with GitHub's 200-with-<c>error</c> on a refusal;
/// <c>/api/user</c> and <c>/api/user/emails</c> want the access token as a bearer and a User-Agent, as GitHub does.
/// </summary>
public sealed class TestGitHub : IDisposable
{
    public const string ClientId = "Iv1.coditect-console";
    public const string ClientSecret = "github-test-secret";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, (GitHubUserSpec User, string Challenge, string Method, string RedirectUri)> _codes = new();
    private readonly ConcurrentDictionary<string, GitHubUserSpec> _tokens = new();

    public TestGitHub()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapGet("/login/oauth/authorize", (HttpRequest request) =>
        {
            var q = request.Query;
            Authorizations.Enqueue(q.ToDictionary(p => p.Key, p => p.Value.ToString()));
            var user = Next ?? throw new InvalidOperationException("Set Next before signing in.");
            var code = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));
            _codes[code] = (user, q["code_challenge"].ToString(), q["code_challenge_method"].ToString(), q["redirect_uri"].ToString());
            return Results.Redirect($"{q["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(q["state"].ToString())}");
        });
        _app.MapPost("/login/oauth/access_token", async (HttpRequest request) =>
        {
            if (!request.Headers.Accept.ToString().Contains("application/json", StringComparison.Ordinal))
            {
                return Results.Text("error=unsupported_accept", "application/x-www-form-urlencoded");
            }

            var form = await request.ReadFormAsync();
            if (form["client_id"] != ClientId || form["client_secret"] != ExpectedSecret)
            {
                TokenRefusals++;
                return Results.Json(new { error = "incorrect_client_credentials" });
            }

            if (!_codes.TryRemove(form["code"].ToString(), out var grant) || grant.RedirectUri != form["redirect_uri"] || grant.Method != "S256"
                || Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(form["code_verifier"].ToString()))) != grant.Challenge)
            {
                TokenRefusals++;
                return Results.Json(new { error = "bad_verification_code" });
            }

            var token = "gho_" + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(24));
            _tokens[token] = grant.User;
            return Results.Json(new { access_token = token, token_type = "bearer", scope = "read:user,user:email" });
        });
        _app.MapGet("/api/user", (HttpRequest request) =>
            Caller(request) is { } user ? Results.Json(new { id = user.Id, login = user.Login, name = user.Name }) : Results.Unauthorized());
        _app.MapGet("/api/user/emails", (HttpRequest request) =>
            Caller(request) is { } user
                ? Results.Json(user.Emails.Select(e => new { email = e.Email, primary = e.Primary, verified = e.Verified, visibility = (string?)null }))
                : Results.Unauthorized());
        _app.StartAsync().GetAwaiter().GetResult();
        BaseUrl = _app.Urls.First();
    }

    /// <summary>The site (<c>Oidc:Providers:{name}:Authority</c>).</summary>
    public string BaseUrl { get; }

    /// <summary>The API (<c>Oidc:Providers:{name}:ApiUrl</c>).</summary>
    public string ApiUrl => BaseUrl + "/api";

    /// <summary>Who signs in at the next authorization request.</summary>
    public GitHubUserSpec? Next { get; set; }

    /// <summary>The query of every authorization request, in order.</summary>
    public ConcurrentQueue<Dictionary<string, string>> Authorizations { get; } = new();

    public int TokenRefusals { get; private set; }

    /// <summary>The secret the token endpoint accepts: <see cref="ClientSecret"/>, unless a test revokes it.</summary>
    public string ExpectedSecret { get; set; } = ClientSecret;

    private GitHubUserSpec? Caller(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        return request.Headers.UserAgent.Count > 0 && authorization.StartsWith("Bearer ", StringComparison.Ordinal)
            && _tokens.TryGetValue(authorization["Bearer ".Length..], out var user) ? user : null;
    }

    public void Dispose() => _app.DisposeAsync().AsTask().GetAwaiter().GetResult();
}

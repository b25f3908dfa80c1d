using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Coditect.Server.Tests.Infrastructure;

/// <summary>
/// What the provider puts in the next id token it issues (set by a test before it follows the authorization
/// redirect). <see cref="Audience"/> and <see cref="Nonce"/> replace the right values; <see cref="Forged"/> signs with a
/// key the JWKS does not publish (under the published key's id).
/// </summary>
public sealed record IdTokenSpec(
    string Subject, string Email, bool EmailVerified = true, string Name = "Oidc Person",
    string? Audience = null, string? Nonce = null, bool Forged = false);

/// <summary>
/// A small OpenID provider on a loopback port (Kestrel): a discovery document, a JWKS with one RSA key, an
/// authorization endpoint that redirects straight back with a code (the person "signs in" by the test's
/// <see cref="Next"/>), and a token endpoint that checks the client secret, the redirect URI and the PKCE verifier
/// (S256) before it issues an RS256 id token.
/// </summary>
public sealed class TestOpenIdProvider : IDisposable
{
    public const string ClientId = "coditect-console";
    public const string ClientSecret = "test-client-secret";

    private static readonly string[] ResponseTypes = ["code"];
    private static readonly string[] SubjectTypes = ["public"];
    private static readonly string[] SigningAlgorithms = ["RS256"];
    private static readonly string[] ChallengeMethods = ["S256"];

    private readonly WebApplication _app;
    private readonly RSA _key = RSA.Create(2048);
    private readonly RSA _forgeryKey = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, (IdTokenSpec Spec, string Challenge, string Method, string Nonce, string RedirectUri, string ClientId)> _codes = new();

    private readonly Func<DateTime> _now;

    /// <param name="now">The clock its tokens are stamped by: the server's, so their lifetimes are what the server sees.</param>
    public TestOpenIdProvider(Func<DateTime> now)
    {
        _now = now;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapGet("/.well-known/openid-configuration", () => Results.Json(new
        {
            issuer = Authority,
            authorization_endpoint = Authority + "/authorize",
            token_endpoint = Authority + "/token",
            jwks_uri = Authority + "/jwks",
            response_types_supported = ResponseTypes,
            subject_types_supported = SubjectTypes,
            id_token_signing_alg_values_supported = SigningAlgorithms,
            code_challenge_methods_supported = ChallengeMethods,
        }));
        _app.MapGet("/jwks", () =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_key.ExportParameters(false)) { KeyId = "test-key" });
            return Results.Json(new { keys = new[] { new { kty = jwk.Kty, kid = "test-key", use = "sig", alg = "RS256", n = jwk.N, e = jwk.E } } });
        });
        _app.MapGet("/authorize", (HttpRequest request) =>
        {
            var q = request.Query;
            Authorizations.Enqueue(q.ToDictionary(p => p.Key, p => p.Value.ToString()));
            var spec = Next ?? throw new InvalidOperationException("Set Next before signing in.");
            var code = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));
            _codes[code] = (spec, q["code_challenge"].ToString(), q["code_challenge_method"].ToString(), q["nonce"].ToString(),
                q["redirect_uri"].ToString(), q["client_id"].ToString());
            return Results.Redirect($"{q["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(q["state"].ToString())}");
        });
        _app.MapPost("/token", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            if (form["grant_type"] != "authorization_code" || form["client_id"] != ClientId || form["client_secret"] != ClientSecret
                || !_codes.TryRemove(form["code"].ToString(), out var grant) || grant.ClientId != ClientId
                || grant.RedirectUri != form["redirect_uri"] || grant.Method != "S256"
                || Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(form["code_verifier"].ToString()))) != grant.Challenge)
            {
                TokenRefusals++;
                return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
            }

            return Results.Json(new { access_token = "unused", token_type = "Bearer", expires_in = 300, id_token = IdToken(grant.Spec, grant.Nonce) });
        });
        _app.StartAsync().GetAwaiter().GetResult();
        Authority = _app.Urls.First();
    }

    public string Authority { get; }

    /// <summary>Who signs in at the next authorization request.</summary>
    public IdTokenSpec? Next { get; set; }

    /// <summary>The query of every authorization request, in order.</summary>
    public ConcurrentQueue<Dictionary<string, string>> Authorizations { get; } = new();

    public int TokenRefusals { get; private set; }

    private string IdToken(IdTokenSpec spec, string nonce)
    {
        var now = _now();
        var key = new RsaSecurityKey(spec.Forged ? _forgeryKey : _key) { KeyId = "test-key" };
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Authority,
            Audience = spec.Audience ?? ClientId,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(5),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = spec.Subject,
                ["email"] = spec.Email,
                ["email_verified"] = spec.EmailVerified,
                ["name"] = spec.Name,
                ["nonce"] = spec.Nonce ?? nonce,
            },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
    }

    public void Dispose()
    {
        _app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _key.Dispose();
        _forgeryKey.Dispose();
    }
}

using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Coditect.Server.Tests.Signing;

/// <summary>
/// The few Google Cloud REST methods the server calls at start, on a loopback port (Kestrel), with real cryptography:
/// the GKE metadata server's token, the OAuth token endpoint (it verifies the RS256 assertion against the service
/// account's public key), Cloud KMS <c>:decrypt</c> (AES-256-GCM with a key it alone holds) and Secret Manager
/// <c>:access</c>. Every API call must carry a token it issued.
/// </summary>
public sealed class GoogleStandIn : IAsyncDisposable
{
    public const string ServiceAccount = "coditect-server@test-project.iam.gserviceaccount.com";
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte[]> _kmsKeys = new();
    private readonly ConcurrentDictionary<string, string> _secrets = new();
    private readonly ConcurrentDictionary<string, bool> _tokens = new();
    private int _tokenFetches;
    private int _apiCalls;

    private GoogleStandIn(WebApplication app) => _app = app;

    public string BaseUrl => _app.Urls.First();

    public string TokenUri => BaseUrl + "/token";

    /// <summary>The service account's key pair: the private half goes into the key file, the public half verifies assertions.</summary>
    public RSA ServiceAccountKey { get; } = RSA.Create(2048);

    /// <summary>Tokens handed out, by the metadata server or for a verified assertion.</summary>
    public int TokenFetches => Volatile.Read(ref _tokenFetches);

    /// <summary>KMS and Secret Manager calls answered (with a valid token).</summary>
    public int ApiCalls => Volatile.Read(ref _apiCalls);

    public static GoogleStandIn Start()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new GoogleStandIn(app);
        app.MapGet("/computeMetadata/v1/instance/service-accounts/default/token", (HttpRequest request) =>
            request.Headers["Metadata-Flavor"] == "Google"
                ? standIn.IssueToken()
                : Results.Text("Missing Metadata-Flavor:Google header.", statusCode: 403));
        app.MapPost("/token", async (HttpRequest request) => standIn.Exchange(await request.ReadFormAsync()));
        app.MapPost("/v1/{**name}", async (HttpRequest request, string name) =>
            standIn.Authorized(request) ?? (name.EndsWith(":decrypt", StringComparison.Ordinal)
                ? standIn.Decrypt(name[..^":decrypt".Length], await JsonDocument.ParseAsync(request.Body))
                : Error(404, "NOT_FOUND", "No such method.")));
        app.MapGet("/v1/{**name}", (HttpRequest request, string name) =>
            standIn.Authorized(request) ?? (name.EndsWith(":access", StringComparison.Ordinal) && standIn._secrets.TryGetValue(name[..^":access".Length], out var value)
                ? Results.Json(new { name = name[..^":access".Length], payload = new { data = Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) } })
                : Error(404, "NOT_FOUND", $"Secret Version [{name}] not found or has no versions.")));
        app.StartAsync().GetAwaiter().GetResult();
        return standIn;
    }

    /// <summary>Makes a KMS key (its material stays here) and returns <paramref name="plaintext"/> encrypted by it.</summary>
    public string Encrypt(string keyName, byte[] plaintext)
    {
        var key = _kmsKeys.GetOrAdd(keyName, _ => RandomNumberGenerator.GetBytes(32));
        var output = new byte[12 + 16 + plaintext.Length];
        RandomNumberGenerator.Fill(output.AsSpan(0, 12));
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(output.AsSpan(0, 12), plaintext, output.AsSpan(28), output.AsSpan(12, 16), Encoding.UTF8.GetBytes(keyName));
        return Convert.ToBase64String(output);
    }

    public void AddSecret(string versionName, string value) => _secrets[versionName] = value;

    /// <summary>A service-account key file as Google issues them (the fields the server reads).</summary>
    public string WriteKeyFile(string folder)
    {
        var path = Path.Combine(folder, "service-account.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["type"] = "service_account",
            ["project_id"] = "test-project",
            ["private_key_id"] = "0123456789abcdef",
            ["private_key"] = ServiceAccountKey.ExportPkcs8PrivateKeyPem(),
            ["client_email"] = ServiceAccount,
            ["token_uri"] = TokenUri,
        }));
        return path;
    }

    private IResult IssueToken()
    {
        Interlocked.Increment(ref _tokenFetches);
        var token = "ya29." + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        _tokens[token] = true;
        return Results.Json(new { access_token = token, expires_in = 3599, token_type = "Bearer" });
    }

    private IResult Exchange(IFormCollection form)
    {
        if (form["grant_type"] != "urn:ietf:params:oauth:grant-type:jwt-bearer")
        {
            return Results.Json(new { error = "unsupported_grant_type", error_description = "Invalid grant_type." }, statusCode: 400);
        }

        var parts = form["assertion"].ToString().Split('.');
        if (parts.Length != 3
            || !ServiceAccountKey.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url.DecodeFromChars(parts[2]),
                HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
        {
            return Results.Json(new { error = "invalid_grant", error_description = "Invalid JWT Signature." }, statusCode: 400);
        }

        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        using var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        var c = claims.RootElement;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var valid = header.RootElement.GetProperty("alg").GetString() == "RS256"
            && c.GetProperty("iss").GetString() == ServiceAccount
            && c.GetProperty("aud").GetString() == TokenUri
            && c.GetProperty("scope").GetString()!.Split(' ').Contains("https://www.googleapis.com/auth/cloud-platform")
            && c.GetProperty("iat").GetInt64() <= now + 60
            && c.GetProperty("exp").GetInt64() > now
            && c.GetProperty("exp").GetInt64() - c.GetProperty("iat").GetInt64() <= 3600;
        return valid ? IssueToken() : Results.Json(new { error = "invalid_grant", error_description = "Invalid JWT claims." }, statusCode: 400);
    }

    private IResult? Authorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal) || !_tokens.ContainsKey(header["Bearer ".Length..]))
        {
            return Error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
        }

        Interlocked.Increment(ref _apiCalls);
        return null;
    }

    private IResult Decrypt(string keyName, JsonDocument body)
    {
        if (!_kmsKeys.TryGetValue(keyName, out var key))
        {
            return Error(403, "PERMISSION_DENIED",
                $"Permission 'cloudkms.cryptoKeyVersions.useToDecrypt' denied on resource '{keyName}' (or it may not exist).");
        }

        var ciphertext = Convert.FromBase64String(body.RootElement.GetProperty("ciphertext").GetString()!);
        if (ciphertext.Length < 28)
        {
            return Error(400, "INVALID_ARGUMENT", "Decryption failed: the ciphertext is invalid.");
        }

        var plaintext = new byte[ciphertext.Length - 28];
        try
        {
            using var aes = new AesGcm(key, 16);
            aes.Decrypt(ciphertext.AsSpan(0, 12), ciphertext.AsSpan(28), ciphertext.AsSpan(12, 16), plaintext, Encoding.UTF8.GetBytes(keyName));
        }
        catch (AuthenticationTagMismatchException)
        {
            return Error(400, "INVALID_ARGUMENT", "Decryption failed: the ciphertext is invalid.");
        }

        return Results.Json(new { plaintext = Convert.ToBase64String(plaintext) });
    }

    private static IResult Error(int code, string status, string message) =>
        Results.Json(new { error = new { code, message, status } }, statusCode: code);

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        ServiceAccountKey.Dispose();
    }
}

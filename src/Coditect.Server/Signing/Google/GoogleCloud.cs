using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coditect.Server.Platform;

namespace Coditect.Server.Signing.Google;

/// <summary>
/// Google Cloud's REST APIs as far as start-up needs them (Cloud KMS decrypt, Secret Manager access), over a plain
/// HttpClient: the Google client libraries are not served here. It authenticates as the pod's workload identity (the
/// GKE metadata server) or, with <c>Google:CredentialsFile</c> (or <c>GOOGLE_APPLICATION_CREDENTIALS</c>), as the
/// service account of a JSON key file (an RS256 JWT assertion exchanged at the file's <c>token_uri</c>). The access
/// token is cached until five minutes before it expires. Used at start only, never on a request's path.
/// </summary>
public sealed class GoogleCloud : IDisposable
{
    public const string Scope = "https://www.googleapis.com/auth/cloud-platform";
    private const int Attempts = 3;
    private static readonly TimeSpan Margin = TimeSpan.FromMinutes(5);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _token;
    private DateTimeOffset _expires;

    public GoogleCloud(IConfiguration configuration, TimeProvider clock)
    {
        _clock = clock;
        MetadataUrl = Base(configuration["Google:MetadataUrl"], "http://metadata.google.internal");
        KmsUrl = Base(configuration["Google:KmsUrl"], "https://cloudkms.googleapis.com");
        SecretManagerUrl = Base(configuration["Google:SecretManagerUrl"], "https://secretmanager.googleapis.com");
        CredentialsFile = NonEmpty(configuration["Google:CredentialsFile"]) ?? NonEmpty(configuration["GOOGLE_APPLICATION_CREDENTIALS"]);
    }

    public string MetadataUrl { get; }

    public string KmsUrl { get; }

    public string SecretManagerUrl { get; }

    /// <summary>A service-account key file; null: the metadata server (workload identity).</summary>
    public string? CredentialsFile { get; }

    /// <summary>The configuration keys whose values came from Secret Manager (names only), for the start-up log.</summary>
    public IReadOnlyList<string> SettingsFromSecretManager { get; internal set; } = [];

    /// <summary>
    /// Calls a Google API with the access token; the JSON answer. A refusal or no answer (after three tries for
    /// network errors, 429 and 5xx) is a <see cref="StartupException"/> naming <paramref name="what"/>.
    /// </summary>
    public async Task<JsonElement> CallAsync(HttpMethod method, string url, object? body, string what, CancellationToken ct)
    {
        var token = await AccessTokenAsync(ct);
        return await SendAsync(() =>
        {
            var request = new HttpRequestMessage(method, url);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (body is not null)
            {
                request.Content = JsonContent.Create(body);
            }

            return request;
        }, what, ct);
    }

    public async Task<string> AccessTokenAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_token is null || _clock.GetUtcNow() >= _expires - Margin)
            {
                var answer = CredentialsFile is null ? await FromMetadataServerAsync(ct) : await FromKeyFileAsync(CredentialsFile, ct);
                _token = answer.TryGetProperty("access_token", out var t) && t.GetString() is { Length: > 0 } value
                    ? value
                    : throw new StartupException("Google's token endpoint answered without an access_token.");
                var lifetime = answer.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) ? seconds : 300;
                _expires = _clock.GetUtcNow().AddSeconds(lifetime);
            }

            return _token;
        }
        finally
        {
            _gate.Release();
        }
    }

    private Task<JsonElement> FromMetadataServerAsync(CancellationToken ct) => SendAsync(() =>
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"{MetadataUrl}/computeMetadata/v1/instance/service-accounts/default/token");
        request.Headers.Add("Metadata-Flavor", "Google");
        return request;
    }, "The GKE metadata server (workload identity; set Google:CredentialsFile to use a key file)", ct);

    private async Task<JsonElement> FromKeyFileAsync(string path, CancellationToken ct)
    {
        string email, pem, tokenUri;
        string? keyId;
        try
        {
            using var file = JsonDocument.Parse(await File.ReadAllTextAsync(path, ct));
            var root = file.RootElement;
            email = root.GetProperty("client_email").GetString()!;
            pem = root.GetProperty("private_key").GetString()!;
            tokenUri = root.TryGetProperty("token_uri", out var uri) ? uri.GetString()! : "https://oauth2.googleapis.com/token";
            keyId = root.TryGetProperty("private_key_id", out var id) ? id.GetString() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new StartupException(
                $"Google:CredentialsFile {path} is not a readable service-account key file (JSON with client_email, private_key, token_uri).");
        }

        var now = _clock.GetUtcNow().ToUnixTimeSeconds();
        var header = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string?> { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = keyId });
        var claims = JsonSerializer.SerializeToUtf8Bytes(new { iss = email, scope = Scope, aud = tokenUri, iat = now, exp = now + 3600 });
        var signingInput = Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(claims);
        byte[] signature;
        using (var rsa = RSA.Create())
        {
            try
            {
                rsa.ImportFromPem(pem);
            }
            catch (ArgumentException)
            {
                throw new StartupException($"Google:CredentialsFile {path}: private_key is not a PEM RSA key.");
            }

            signature = rsa.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }

        var assertion = signingInput + "." + Base64Url.EncodeToString(signature);
        return await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, tokenUri)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "urn:ietf:params:oauth:grant-type:jwt-bearer",
                ["assertion"] = assertion,
            }),
        }, $"Google's token endpoint ({tokenUri}, service account {email})", ct);
    }

    private async Task<JsonElement> SendAsync(Func<HttpRequestMessage> make, string what, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            HttpStatusCode status;
            string body;
            try
            {
                using var request = make();
                using var response = await _http.SendAsync(request, ct);
                status = response.StatusCode;
                body = await response.Content.ReadAsStringAsync(ct);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                if (attempt < Attempts)
                {
                    await Task.Delay(TimeSpan.FromSeconds(attempt), _clock, ct);
                    continue;
                }

                throw new StartupException($"{what} did not answer: {e.Message}");
            }

            if ((int)status is >= 200 and < 300)
            {
                try
                {
                    using var answer = JsonDocument.Parse(body);
                    return answer.RootElement.Clone();
                }
                catch (JsonException)
                {
                    throw new StartupException($"{what} answered {(int)status} with something that is not JSON.");
                }
            }

            if (attempt < Attempts && (status == HttpStatusCode.TooManyRequests || (int)status >= 500))
            {
                await Task.Delay(TimeSpan.FromSeconds(attempt), _clock, ct);
                continue;
            }

            throw new StartupException($"{what} refused: HTTP {(int)status} {Reason(body)}");
        }
    }

    /// <summary>Google's error text: <c>{"error":{"status","message"}}</c> (APIs) or <c>{"error","error_description"}</c> (OAuth).</summary>
    private static string Reason(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var error = document.RootElement.GetProperty("error");
            if (error.ValueKind == JsonValueKind.Object)
            {
                var status = error.TryGetProperty("status", out var s) ? s.GetString() : null;
                var message = error.TryGetProperty("message", out var m) ? m.GetString() : null;
                return $"{status}: {message}";
            }

            var description = document.RootElement.TryGetProperty("error_description", out var d) ? d.GetString() : null;
            return $"{error.GetString()}: {description}";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return body.Length > 200 ? body[..200] : body;
        }
    }

    private static string Base(string? configured, string fallback) => (NonEmpty(configured) ?? fallback).TrimEnd('/');

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    public void Dispose()
    {
        _http.Dispose();
        _gate.Dispose();
    }
}

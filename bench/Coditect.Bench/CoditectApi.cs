using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Coditect.Contracts.Identity;
using Coditect.Contracts.Licensing;

namespace Coditect.Bench;

/// <summary>
/// The server's HTTP API as the benchmark uses it: the admin calls that set up data, and the three lease calls under
/// load. Several base addresses (several server processes) are used round-robin, one connection pool each.
/// Lease-call bodies are written by hand: the generator shares the CPU with the server, so it keeps its own work small.
/// </summary>
internal sealed class CoditectApi : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private static readonly MediaTypeHeaderValue JsonType = new("application/json");
    private readonly HttpClient[] _clients;
    private long _next;
    private string? _accessToken;
    private string? _orgSlug;
    private Guid? _orgId;

    /// <summary>The password of the user <see cref="RegisterAsync"/> signs up (the console scenario signs in with it).</summary>
    public const string Password = "bench load generator password";

    /// <summary>The registered user's e-mail, once <see cref="RegisterAsync"/> ran.</summary>
    public string Email { get; private set; } = "";

    /// <summary>The slug of the registered user's organization, which owns every licence the benchmark makes.</summary>
    public string OrgSlug => _orgSlug ?? throw new InvalidOperationException("not registered yet");

    /// <summary>The id of that organization (the devcontext scenario writes it into the rows of its COPY baseline).</summary>
    public Guid OrgId => _orgId ?? throw new InvalidOperationException("not registered yet");

    public IReadOnlyList<Uri> Servers { get; }

    public CoditectApi(IReadOnlyList<Uri> servers, int maxConnectionsPerServer, TimeSpan timeout)
    {
        Servers = servers;
        _clients = servers.Select(server => new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnectionsPerServer,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            BaseAddress = server,
            Timeout = timeout,
        }).ToArray();
    }

    private HttpClient NextClient() => _clients[(int)((ulong)Interlocked.Increment(ref _next) % (ulong)_clients.Length)];

    /// <summary>Signs up a fresh user whose new organization will own the benchmark's licences.</summary>
    public async Task RegisterAsync(CancellationToken ct)
    {
        var email = $"bench-{Guid.NewGuid():N}@example.com";
        var response = await _clients[0].PostAsJsonAsync("/api/v1/auth/register",
            new RegisterRequest(email, Password, "Benchmark", $"Bench {Guid.NewGuid():N}"), Json, ct);
        var tokens = await ReadAsync<TokenResponse>(response, HttpStatusCode.Created, ct);
        _accessToken = tokens.AccessToken;
        Email = email;
        _orgSlug = tokens.Organization?.Slug ?? throw new InvalidOperationException("register answered without an organization");
        _orgId = tokens.Organization.Id;
    }

    /// <summary>Creates a licence through the admin API and returns its id and full key (shown only once, at creation).</summary>
    public async Task<(Guid Id, string Key)> CreateLicenseAsync(string name, int seats, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/orgs/{_orgSlug}/licenses")
        {
            Content = JsonContent.Create(new CreateLicenseRequest(name, seats), options: Json),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _accessToken);
        var response = await NextClient().SendAsync(request, ct);
        var license = await ReadAsync<LicenseResponse>(response, HttpStatusCode.Created, ct);
        return (license.Id, license.LicenseKey ?? throw new InvalidOperationException("licence created without its key"));
    }

    public Task<Answer> AcquireAsync(string key, string hardwareId, CancellationToken ct) =>
        PostAsync("/api/v1/licenses/acquire",
            $$$"""{"license_key":"{{{key}}}","hardware_id":"{{{hardwareId}}}","client":{"hostname":"bench","app_version":"1.0","os":"linux"}}""", ct);

    public Task<Answer> HeartbeatAsync(string key, Guid sessionId, CancellationToken ct) =>
        PostAsync("/api/v1/licenses/heartbeat", $$"""{"license_key":"{{key}}","session_id":"{{sessionId}}"}""", ct);

    public Task<Answer> ReleaseAsync(string key, Guid sessionId, CancellationToken ct) =>
        PostAsync("/api/v1/licenses/release", $$"""{"license_key":"{{key}}","session_id":"{{sessionId}}"}""", ct);

    /// <summary>An authenticated call of the organization's API (<paramref name="path"/> after <c>/api/v1/orgs/{org}</c>), a JSON body or none.</summary>
    public async Task<Answer> OrgCallAsync(HttpMethod method, string path, byte[]? json, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, $"/api/v1/orgs/{_orgSlug}{path}");
        if (json is not null)
        {
            request.Content = new ByteArrayContent(json);
            request.Content.Headers.ContentType = JsonType;
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _accessToken);
        using var response = await NextClient().SendAsync(request, ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        return new Answer((int)response.StatusCode, bytes, Stopwatch.GetTimestamp());
    }

    /// <summary><see cref="OrgCallAsync"/> for setup: the answer must have <paramref name="expected"/> status; its body read as <typeparamref name="T"/>.</summary>
    public async Task<T> OrgSetupAsync<T>(HttpMethod method, string path, object? body, HttpStatusCode expected, CancellationToken ct)
    {
        var answer = await OrgCallAsync(method, path, body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, Json), ct);
        if (answer.Status != (int)expected)
        {
            throw new InvalidOperationException($"{method} {path} answered {answer.Status}, expected {(int)expected}: {answer.Text[..Math.Min(answer.Text.Length, 500)]}");
        }

        return JsonSerializer.Deserialize<T>(answer.Body, Json) ?? throw new InvalidOperationException("empty answer");
    }

    private async Task<Answer> PostAsync(string path, string body, CancellationToken ct)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = JsonType;
        using var response = await NextClient().PostAsync(path, content, ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        return new Answer((int)response.StatusCode, bytes, Stopwatch.GetTimestamp());
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, HttpStatusCode expected, CancellationToken ct)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            if (response.StatusCode != expected)
            {
                throw new InvalidOperationException($"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}, expected {(int)expected}: {body}");
            }

            return JsonSerializer.Deserialize<T>(body, Json) ?? throw new InvalidOperationException("empty answer");
        }
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }
}

/// <summary>A lease call's status, body and the moment it completed (a Stopwatch timestamp).</summary>
internal readonly record struct Answer(int Status, byte[] Body, long DoneTimestamp)
{
    public bool IsSuccess => Status is >= 200 and < 300;

    public string Text => Encoding.UTF8.GetString(Body);

    /// <summary>The <c>session_id</c> of an acquire answer.</summary>
    public Guid SessionId()
    {
        using var document = JsonDocument.Parse(Body);
        return document.RootElement.GetProperty("session_id").GetGuid();
    }
}

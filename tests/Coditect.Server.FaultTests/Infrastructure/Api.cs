using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Coditect.Contracts.Identity;
using Coditect.Contracts.Licensing;

namespace Coditect.Server.FaultTests.Infrastructure;

/// <summary>One HTTP answer, read in full; <c>Failure</c> is set instead when no answer came (refused, reset, timed out).</summary>
public sealed record Answer(HttpStatusCode Status, string Body, string? ContentType, string? RetryAfter, string? Failure = null)
{
    public bool Answered => Failure is null;

    public bool IsSuccess => Answered && (int)Status is >= 200 and < 300;

    public T Read<T>() => JsonSerializer.Deserialize<T>(Body, Api.Json)!;

    /// <summary>The problem+json <c>code</c>, or null when the body is not a problem.</summary>
    public string? ProblemCode
    {
        get
        {
            if (ContentType != "application/problem+json")
            {
                return null;
            }

            try
            {
                return JsonDocument.Parse(Body).RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    public override string ToString() => Failure ?? $"{(int)Status} {Body}";
}

/// <summary>The calls the fault tests make, in the API's snake_case JSON.</summary>
public static class Api
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static Task<Answer> AcquireAsync(this HttpClient http, string key, string hardwareId) =>
        http.SendJsonAsync(HttpMethod.Post, "api/v1/licenses/acquire", new AcquireRequest(key, hardwareId, null, new ClientInfo("fault-test", "1.0", "linux")));

    /// <summary>An acquire that joins the queue when every seat is taken (<paramref name="wait"/>) or claims an offered seat (<paramref name="ticket"/>).</summary>
    public static Task<Answer> AcquireAsync(this HttpClient http, string key, string hardwareId, bool? wait, string? ticket) =>
        http.SendJsonAsync(HttpMethod.Post, "api/v1/licenses/acquire",
            new AcquireRequest(key, hardwareId, null, new ClientInfo("fault-test", "1.0", "linux"), wait, ticket));

    /// <summary>A queue ticket's state; a long poll of up to <paramref name="waitSeconds"/>.</summary>
    public static Task<Answer> PollQueueAsync(this HttpClient http, string ticket, int waitSeconds) =>
        http.SendJsonAsync(HttpMethod.Get, $"api/v1/licenses/queue/{ticket}?wait={waitSeconds}");

    public static Task<Answer> HeartbeatAsync(this HttpClient http, string key, Guid sessionId) =>
        http.SendJsonAsync(HttpMethod.Post, "api/v1/licenses/heartbeat", new HeartbeatRequest(key, sessionId));

    public static Task<Answer> ReleaseAsync(this HttpClient http, string key, Guid sessionId) =>
        http.SendJsonAsync(HttpMethod.Post, "api/v1/licenses/release", new ReleaseRequest(key, sessionId));

    public static Task<Answer> ValidateAsync(this HttpClient http, string key, string? hardwareId = null) =>
        http.SendJsonAsync(HttpMethod.Post, "api/v1/licenses/validate", new ValidateRequest(key, hardwareId));

    public const string VendorPassword = "correct horse battery staple";

    public static async Task<TokenResponse> RegisterAsync(this HttpClient http)
    {
        var answer = await http.SendJsonAsync(HttpMethod.Post, "api/v1/auth/register",
            new RegisterRequest($"vendor-{Guid.NewGuid():N}@example.com", VendorPassword, "Vendor", $"Vendor {Guid.NewGuid():N}"));
        answer.Status.ShouldBe(HttpStatusCode.Created, answer.ToString());
        return answer.Read<TokenResponse>();
    }

    public static async Task<Answer> SendJsonAsync(this HttpClient http, HttpMethod method, string path, object? body = null, string? bearer = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        try
        {
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return new Answer(response.StatusCode, text, response.Content.Headers.ContentType?.MediaType,
                response.Headers.RetryAfter?.ToString());
        }
        catch (HttpRequestException e)
        {
            return new Answer(0, "", null, null, $"no answer: {e.GetBaseException().Message}");
        }
        catch (TaskCanceledException)
        {
            return new Answer(0, "", null, null, $"no answer within {http.Timeout.TotalSeconds:0} s");
        }
    }
}

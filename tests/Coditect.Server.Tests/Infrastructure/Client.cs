using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Coditect.Contracts.Identity;

namespace Coditect.Server.Tests.Infrastructure;

/// <summary>An HTTP client that speaks the API's snake_case JSON, optionally signed in.</summary>
public sealed class Client(HttpClient http, CoditectApp app)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public HttpClient Http { get; } = http;
    public CoditectApp App { get; } = app;

    public Client WithBearer(string credential)
    {
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        return new Client(client, App);
    }

    public Task<HttpResponseMessage> GetAsync(string path) => Http.GetAsync(path);

    public Task<HttpResponseMessage> DeleteAsync(string path) => Http.DeleteAsync(path);

    public Task<HttpResponseMessage> PostAsync(string path, object? body = null) => Http.PostAsJsonAsync(path, body ?? new { }, Json);

    public Task<HttpResponseMessage> PatchAsync(string path, object body) => Http.PatchAsJsonAsync(path, body, Json);

    public async Task<T> GetJsonAsync<T>(string path)
    {
        var response = await GetAsync(path);
        return await response.ReadAsync<T>(HttpStatusCode.OK);
    }

    /// <summary>Signs up a fresh user with a fresh organization.</summary>
    public async Task<Caller> RegisterAsync(string? organization = null, string? email = null)
    {
        email ??= $"user-{Guid.NewGuid():N}@example.com";
        const string password = "correct horse battery staple";
        var response = await PostAsync("/api/v1/auth/register", new RegisterRequest(email, password, "Test User", organization ?? $"Org {Guid.NewGuid():N}"));
        var tokens = await response.ReadAsync<TokenResponse>(HttpStatusCode.Created);
        return new Caller(WithBearer(tokens.AccessToken), tokens, email, password);
    }
}

/// <summary>A signed-in user and the organization they own.</summary>
public sealed record Caller(Client Client, TokenResponse Tokens, string Email, string Password)
{
    public Guid UserId => Tokens.User.Id;
    public Guid OrgId => Tokens.Organization!.Id;
    public string OrgSlug => Tokens.Organization!.Slug;
    public string OrgPath => $"/api/v1/orgs/{OrgSlug}";
}

public static class ResponseAssertions
{
    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(expected, body);
        return JsonSerializer.Deserialize<T>(body, Client.Json)!;
    }

    /// <summary>Asserts a problem+json answer with the given status and <c>code</c>; returns the body.</summary>
    public static async Task<JsonElement> ShouldBeProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, body);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", body);
        var json = JsonDocument.Parse(body).RootElement;
        json.GetProperty("code").GetString().ShouldBe(code, body);
        body.ShouldNotContain("   at ", Case.Sensitive, "no stack trace in an answer");
        return json;
    }
}

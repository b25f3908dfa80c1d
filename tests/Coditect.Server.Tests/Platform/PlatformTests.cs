using System.Net;
using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Platform;

public abstract class PlatformTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Theory]
    [InlineData("/health")]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_endpoints_answer_200(string path)
    {
        var response = await _anonymous.GetAsync(path);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        body.GetProperty("status").GetString().ShouldBe(path switch
        {
            "/health" => "ok",
            "/health/live" => "live",
            _ => "ready",
        });
    }

    [Fact]
    public async Task OpenApi_document_is_json_and_lists_the_api()
    {
        var response = await _anonymous.GetAsync("/openapi/v1.json");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/json");
        var paths = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("paths");
        paths.TryGetProperty("/api/v1/auth/register", out _).ShouldBeTrue();
        paths.TryGetProperty("/api/v1/orgs/{org}/members/{userId}", out _).ShouldBeTrue();
    }

    [Theory]
    [InlineData("/docs")]
    [InlineData("/docs/")]
    public async Task Docs_serve_the_Scalar_page_on_the_openapi_document(string path)
    {
        var response = await _anonymous.GetAsync(path);

        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("text/html");
        html.ShouldContain("<title>CODITECT API</title>");
        html.ShouldContain("\"url\":\"openapi/v1.json\"");
        html.ShouldContain("<script src=\"scalar.js\"></script>");
        html.ShouldNotContain("https://", Case.Sensitive, "nothing is loaded from elsewhere");
        response.Headers.GetValues("Content-Security-Policy").Single().ShouldContain("frame-ancestors 'none'");
    }

    [Fact]
    public async Task Docs_script_comes_from_the_server_itself()
    {
        var response = await _anonymous.GetAsync("/docs/scalar.js");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("text/javascript");
        (await response.Content.ReadAsByteArrayAsync()).Length.ShouldBeGreaterThan(100_000);
        Header(response, "Content-Security-Policy").ShouldStartWith("default-src 'self'; script-src 'self'");
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/api/v1/me")]
    [InlineData("/api/v1/nothing-here")]
    [InlineData("/openapi/v1.json")]
    public async Task Security_headers_are_on_every_answer(string path)
    {
        var response = await _anonymous.GetAsync(path);

        Header(response, "X-Content-Type-Options").ShouldBe("nosniff");
        Header(response, "X-Frame-Options").ShouldBe("DENY");
        Header(response, "Content-Security-Policy").ShouldContain("default-src");
        Header(response, "Referrer-Policy").ShouldBe("no-referrer");
        response.Headers.Contains("Server").ShouldBeFalse();
    }

    [Fact]
    public async Task A_safe_request_id_is_echoed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Add("X-Request-Id", "trace-42.abc_DEF");

        var response = await _anonymous.Http.SendAsync(request);

        Header(response, "X-Request-Id").ShouldBe("trace-42.abc_DEF");
    }

    [Theory]
    [InlineData("")]
    [InlineData("has spaces")]
    [InlineData("semi;colon")]
    public async Task An_unsafe_or_missing_request_id_is_replaced_by_a_fresh_one(string incoming)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        if (incoming.Length > 0)
        {
            request.Headers.TryAddWithoutValidation("X-Request-Id", incoming);
        }

        var response = await _anonymous.Http.SendAsync(request);

        var id = Header(response, "X-Request-Id");
        id.ShouldNotBe(incoming);
        id.ShouldMatch("^[0-9a-f]{32}$");
    }

    [Fact]
    public async Task A_problem_answer_carries_the_request_id_header()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
        request.Headers.Add("X-Request-Id", "problem-trace-1");

        var response = await _anonymous.Http.SendAsync(request);

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.Unauthorized);
        Header(response, "X-Request-Id").ShouldBe("problem-trace-1");
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(",", values)
            : throw new ShouldAssertException($"{name} is missing on {response.RequestMessage?.RequestUri}");
}

public sealed class PlatformTestsOnSqlite(SqliteApp app) : PlatformTests<SqliteApp>(app);

public sealed class PlatformTestsOnPostgres(PostgresApp app) : PlatformTests<PostgresApp>(app);

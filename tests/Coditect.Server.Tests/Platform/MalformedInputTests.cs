using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.Organizations;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Platform;

/// <summary>Whatever a client sends, the answer is a 4xx problem+json, never a 500.</summary>
public abstract class MalformedInputTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private const string Login = "/api/v1/auth/login";
    private readonly Client _anonymous = app.Anonymous();

    [Theory]
    [InlineData("{not json")]
    [InlineData("{\"email\": \"a@example.com\", ")]
    [InlineData("[1, 2, 3]")]
    [InlineData("\"a string\"")]
    public async Task Invalid_json_answers_400_MALFORMED_REQUEST(string body)
    {
        var response = await PostRawAsync(_anonymous, Login, body);

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.MalformedRequest);
    }

    [Fact]
    public async Task A_field_of_the_wrong_json_type_answers_400_naming_the_field()
    {
        var response = await PostRawAsync(_anonymous, Login, "{\"email\": 5, \"password\": \"correct horse battery\"}");

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.MalformedRequest);
        problem.GetProperty("field").GetString().ShouldBe("email");
        problem.GetProperty("errors").TryGetProperty("email", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task A_number_sent_as_a_json_string_answers_400_naming_the_field()
    {
        var caller = await _anonymous.RegisterAsync();

        var response = await PostRawAsync(caller.Client, $"{caller.OrgPath}/licenses", "{\"name\": \"Site A\", \"seats_total\": \"5\"}");

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.MalformedRequest);
        problem.GetProperty("field").GetString().ShouldBe("seats_total");
        var licenses = await caller.Client.GetJsonAsync<PagedList<Coditect.Contracts.Licensing.LicenseResponse>>($"{caller.OrgPath}/licenses");
        licenses.Total.ShouldBe(0);
    }

    [Fact]
    public async Task A_body_without_a_content_type_answers_415()
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"email\": \"a@example.com\", \"password\": \"correct horse battery\"}"));

        var response = await _anonymous.Http.PostAsync(Login, content);

        content.Headers.ContentType.ShouldBeNull();
        await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, ProblemCodes.MalformedRequest);
    }

    [Fact]
    public async Task An_empty_body_on_a_post_that_needs_one_answers_400()
    {
        var withoutContent = await _anonymous.Http.PostAsync(Login, null);
        var emptyJson = await PostRawAsync(_anonymous, Login, "");
        var jsonNull = await PostRawAsync(_anonymous, Login, "null");

        await withoutContent.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.MalformedRequest);
        await emptyJson.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.MalformedRequest);
        await jsonNull.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.MalformedRequest);
    }

    [Fact]
    public async Task An_empty_json_object_answers_400_VALIDATION_FAILED_naming_the_missing_fields()
    {
        var response = await PostRawAsync(_anonymous, "/api/v1/auth/register", "{}");

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        var errors = problem.GetProperty("errors");
        foreach (var field in new[] { "email", "password", "name", "organization_name" })
        {
            errors.TryGetProperty(field, out _).ShouldBeTrue(field);
        }
    }

    [Fact]
    public async Task A_body_that_is_not_json_answers_4xx_problem()
    {
        using var content = new StringContent("email=a@example.com", Encoding.UTF8, "application/x-www-form-urlencoded");

        var response = await _anonymous.Http.PostAsync(Login, content);

        ((int)response.StatusCode).ShouldBeInRange(400, 499);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task A_body_over_the_limit_answers_413_PAYLOAD_TOO_LARGE()
    {
        var caller = await _anonymous.RegisterAsync();
        var huge = JsonSerializer.Serialize(new { name = new string('x', 1024 * 1024 + 1) });

        var anonymous = await PostRawAsync(_anonymous, Login, huge);
        var signedIn = await PostRawAsync(caller.Client, "/api/v1/orgs", huge);

        await anonymous.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, ProblemCodes.PayloadTooLarge);
        await signedIn.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, ProblemCodes.PayloadTooLarge);
    }

    [Fact]
    public async Task A_long_field_under_the_body_limit_answers_400_VALIDATION_FAILED()
    {
        var caller = await _anonymous.RegisterAsync();

        var response = await caller.Client.PostAsync("/api/v1/orgs", new CreateOrganizationRequest(new string('x', 10_000), null));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        problem.GetProperty("errors").TryGetProperty("name", out _).ShouldBeTrue();
    }

    [Theory]
    [InlineData("/api/v1/nothing-here")]
    [InlineData("/nothing-here")]
    [InlineData("/api/v2/orgs")]
    public async Task An_unknown_route_answers_404_NOT_FOUND(string path)
    {
        var response = await _anonymous.GetAsync(path);

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.NotFound);
    }

    [Fact]
    public async Task A_wrong_method_answers_405_METHOD_NOT_ALLOWED()
    {
        var caller = await _anonymous.RegisterAsync();

        var getLogin = await _anonymous.GetAsync(Login);
        var putOrgs = await caller.Client.Http.PutAsync("/api/v1/orgs", null);

        await getLogin.ShouldBeProblemAsync(HttpStatusCode.MethodNotAllowed, ProblemCodes.MethodNotAllowed);
        await putOrgs.ShouldBeProblemAsync(HttpStatusCode.MethodNotAllowed, ProblemCodes.MethodNotAllowed);
    }

    [Theory]
    [InlineData("page_size=1000", "page_size")]
    [InlineData("page_size=0", "page_size")]
    [InlineData("page=0", "page")]
    [InlineData("page=abc", "page")]
    [InlineData("page_size=-5", "page_size")]
    public async Task A_page_parameter_out_of_range_answers_400_naming_it(string query, string field)
    {
        var caller = await _anonymous.RegisterAsync();

        foreach (var path in new[] { "/api/v1/orgs", $"{caller.OrgPath}/members", $"{caller.OrgPath}/audit-events", $"{caller.OrgPath}/api-keys" })
        {
            var response = await caller.Client.GetAsync($"{path}?{query}");
            var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
            problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(path);
        }
    }

    [Theory]
    [InlineData("PATCH", "/members/not-a-guid")]
    [InlineData("DELETE", "/members/12345")]
    [InlineData("DELETE", "/invitations/not-a-guid")]
    [InlineData("DELETE", "/api-keys/not-a-guid")]
    public async Task A_non_guid_where_a_guid_is_expected_answers_404_problem(string method, string path)
    {
        var caller = await _anonymous.RegisterAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), caller.OrgPath + path);
        if (method == "PATCH")
        {
            request.Content = new StringContent("{\"role\":\"admin\"}", Encoding.UTF8, "application/json");
        }

        var response = await caller.Client.Http.SendAsync(request);

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.NotFound);
    }

    [Fact]
    public async Task A_malformed_authorization_header_answers_401_problem()
    {
        var garbage = await _anonymous.WithBearer("not.a.jwt").GetAsync("/api/v1/me");
        var huge = await _anonymous.WithBearer(new string('a', 5000)).GetAsync("/api/v1/me");

        await garbage.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.Unauthorized);
        await huge.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.Unauthorized);
    }

    private static async Task<HttpResponseMessage> PostRawAsync(Client client, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await client.Http.PostAsync(path, content);
    }
}

public sealed class MalformedInputTestsOnSqlite(SqliteApp app) : MalformedInputTests<SqliteApp>(app);

public sealed class MalformedInputTestsOnPostgres(PostgresApp app) : MalformedInputTests<PostgresApp>(app);

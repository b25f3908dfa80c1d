using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Platform;
using Coditect.Server.Tests.Infrastructure;
using Coditect.Server.Tests.Licensing;

namespace Coditect.Server.Tests.Platform;

/// <summary>
/// Bad text (NUL, control characters, unpaired surrogates) is 400 VALIDATION_FAILED naming the field on both
/// providers and never reaches the database. Short fields refuse every C0 control character; long text only NUL.
/// </summary>
public abstract class WireTextTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task A_NUL_in_the_login_email_answers_400_naming_it()
    {
        var response = await PostJsonAsync(_anonymous, "/api/v1/auth/login", "{\"email\":\"a\\u0000@example.com\",\"password\":\"correct horse battery\"}");

        await ShouldNameAsync(response, "email");
    }

    [Theory]
    [InlineData("\\u0000")]
    [InlineData("\\u0001")]
    [InlineData("\\t")]
    [InlineData("\\n")]
    [InlineData("\\u001f")]
    public async Task A_control_character_in_a_short_field_answers_400_and_nothing_is_stored(string escape)
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(5);

        var name = await PostJsonAsync(vendor.Client, $"{vendor.OrgPath}/licenses", $"{{\"name\":\"Site{escape}A\",\"seats_total\":1}}");
        var rename = await PatchJsonAsync(vendor.Client, $"{vendor.OrgPath}/licenses/{license.Id}", $"{{\"name\":\"Site{escape}B\"}}");
        var hostname = await PostJsonAsync(_anonymous, "/api/v1/licenses/acquire",
            $"{{\"license_key\":\"{license.LicenseKey}\",\"hardware_id\":\"hw-1\",\"client\":{{\"hostname\":\"host{escape}\"}}}}");
        var hardware = await PostJsonAsync(_anonymous, "/api/v1/licenses/validate", $"{{\"license_key\":\"{license.LicenseKey}\",\"hardware_id\":\"hw{escape}\"}}");

        await ShouldNameAsync(name, "name");
        await ShouldNameAsync(rename, "name");
        await ShouldNameAsync(hostname, "client.hostname");
        await ShouldNameAsync(hardware, "hardware_id");
        var licenses = await vendor.Client.GetJsonAsync<PagedList<LicenseResponse>>($"{vendor.OrgPath}/licenses");
        licenses.Items.ShouldHaveSingleItem().Name.ShouldBe(license.Name);
        var sessions = await vendor.Client.GetJsonAsync<PagedList<SessionResponse>>($"{vendor.OrgPath}/licenses/{license.Id}/sessions");
        sessions.Total.ShouldBe(0);
    }

    [Fact]
    public async Task Long_text_keeps_tabs_and_line_breaks_but_refuses_NUL()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(1);
        var path = $"{vendor.OrgPath}/licenses/{license.Id}";

        var kept = await PatchJsonAsync(vendor.Client, path, "{\"metadata\":{\"note\":\"line 1\\r\\nline 2\\tend\\u0007\"}}");
        var nul = await PatchJsonAsync(vendor.Client, path, "{\"metadata\":{\"note\":\"a\\u0000b\"}}");
        var nested = await PostJsonAsync(vendor.Client, $"{vendor.OrgPath}/licenses", "{\"name\":\"n\",\"seats_total\":1,\"metadata\":{\"a\":[1,{\"b\":\"\\u0000\"}]}}");

        (await kept.ReadAsync<LicenseResponse>(HttpStatusCode.OK)).Metadata["note"].GetString().ShouldBe("line 1\r\nline 2\tend\u0007");
        await ShouldNameAsync(nul, "metadata.note");
        await ShouldNameAsync(nested, "metadata.a[1].b");
        var stored = await vendor.Client.GetJsonAsync<LicenseResponse>(path);
        stored.Metadata["note"].GetString().ShouldBe("line 1\r\nline 2\tend\u0007");
    }

    [Theory]
    [InlineData("\\ud800")]
    [InlineData("a\\udc00")]
    [InlineData("\\udc00\\ud800")]
    public async Task An_unpaired_surrogate_answers_400_naming_the_field(string escape)
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(1);

        var name = await PostJsonAsync(vendor.Client, "/api/v1/orgs", $"{{\"name\":\"{escape}\"}}");
        var metadata = await PatchJsonAsync(vendor.Client, $"{vendor.OrgPath}/licenses/{license.Id}", $"{{\"metadata\":{{\"k\":\"{escape}\"}}}}");
        var entitlement = await PostJsonAsync(vendor.Client, $"{vendor.OrgPath}/licenses", $"{{\"name\":\"n\",\"seats_total\":1,\"entitlements\":[\"ok\",\"{escape}\"]}}");

        await ShouldNameAsync(name, "name");
        await ShouldNameAsync(metadata, "metadata.k");
        await ShouldNameAsync(entitlement, "entitlements[1]");
    }

    [Fact]
    public async Task A_paired_surrogate_is_ordinary_text()
    {
        var vendor = await _anonymous.RegisterAsync();

        var response = await PostJsonAsync(vendor.Client, $"{vendor.OrgPath}/licenses", "{\"name\":\"Rocket \\ud83d\\ude80 \uD83D\uDE80\",\"seats_total\":1}");

        (await response.ReadAsync<LicenseResponse>(HttpStatusCode.Created)).Name.ShouldBe("Rocket 🚀 🚀");
    }

    [Theory]
    [InlineData("/licenses?search=a%00b", "search")]
    [InlineData("/licenses?status=active%01", "status")]
    [InlineData("/audit-events?action=a%00b", "action")]
    [InlineData("/audit-events?object_type=a%0Ab", "object_type")]
    [InlineData("/audit-events?object_id=%1F", "object_id")]
    [InlineData("/members?page=1%00", "page")]
    public async Task A_control_character_in_a_query_value_answers_400_naming_the_parameter(string query, string field)
    {
        var vendor = await _anonymous.RegisterAsync();

        var response = await vendor.Client.GetAsync(vendor.OrgPath + query);

        await ShouldNameAsync(response, field);
    }

    [Fact]
    public async Task A_query_value_over_256_characters_answers_400_naming_it()
    {
        var vendor = await _anonymous.RegisterAsync();

        var atLimit = await vendor.Client.GetAsync($"{vendor.OrgPath}/audit-events?action={new string('a', WireText.MaxParameterLength)}");
        var over = await vendor.Client.GetAsync($"{vendor.OrgPath}/audit-events?object_id={new string('a', WireText.MaxParameterLength + 1)}");

        atLimit.StatusCode.ShouldBe(HttpStatusCode.OK);
        await ShouldNameAsync(over, "object_id");
    }

    [Theory]
    [InlineData("GET", "/api/v1/orgs/acme%01", "org")]
    [InlineData("DELETE", "/api/v1/orgs/acme%0A", "org")]
    [InlineData("POST", "/api/v1/invitations/abc%1Fdef/accept", "token")]
    public async Task A_control_character_in_a_route_value_answers_400_naming_it(string method, string path, string field)
    {
        var vendor = await _anonymous.RegisterAsync();

        var response = await vendor.Client.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await ShouldNameAsync(response, field);
    }

    [Fact]
    public async Task Bad_text_from_an_anonymous_caller_on_a_signed_in_route_still_answers_401()
    {
        var response = await _anonymous.GetAsync("/api/v1/orgs/acme%01?search=%00");

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.Unauthorized);
    }

    [Fact]
    public async Task A_repeated_member_name_answers_400_naming_it()
    {
        var vendor = await _anonymous.RegisterAsync();
        var license = await vendor.CreateLicenseAsync(1);

        var create = await PostJsonAsync(vendor.Client, $"{vendor.OrgPath}/licenses", "{\"name\":\"a\",\"seats_total\":1,\"name\":\"b\"}");
        var patch = await PatchJsonAsync(vendor.Client, $"{vendor.OrgPath}/licenses/{license.Id}", "{\"seats_total\":2,\"seats_total\":3}");
        var nested = await PostJsonAsync(_anonymous, "/api/v1/licenses/acquire",
            $"{{\"license_key\":\"{license.LicenseKey}\",\"hardware_id\":\"hw\",\"client\":{{\"os\":\"a\",\"o\\u0073\":\"b\"}}}}");

        await ShouldNameAsync(create, "name");
        await ShouldNameAsync(patch, "seats_total");
        await ShouldNameAsync(nested, "client.os");
        (await vendor.Client.GetJsonAsync<LicenseResponse>($"{vendor.OrgPath}/licenses/{license.Id}")).SeatsTotal.ShouldBe(1);
    }

    private static async Task ShouldNameAsync(HttpResponseMessage response, string field)
    {
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(problem.ToString());
        problem.TryGetProperty("request_id", out _).ShouldBeTrue();
    }

    private static Task<HttpResponseMessage> PostJsonAsync(Client client, string path, string json) => SendJsonAsync(client, HttpMethod.Post, path, json);

    private static Task<HttpResponseMessage> PatchJsonAsync(Client client, string path, string json) => SendJsonAsync(client, HttpMethod.Patch, path, json);

    private static async Task<HttpResponseMessage> SendJsonAsync(Client client, HttpMethod method, string path, string json)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await client.Http.SendAsync(request);
    }
}

public sealed class WireTextTestsOnSqlite(SqliteApp app) : WireTextTests<SqliteApp>(app);

public sealed class WireTextTestsOnPostgres(PostgresApp app) : WireTextTests<PostgresApp>(app);

/// <summary>The text rules themselves, without a server.</summary>
public sealed class WireTextRuleTests
{
    // Written as C# escapes and unescaped in the test: test names holding raw control characters or unpaired surrogates
    // would break the runner's result files.
    [Theory]
    [InlineData("Acme CAD, Site A", false, true)]
    [InlineData("Zürich 🚀", false, true)]
    [InlineData("a\\tb", false, false)]
    [InlineData("a\\tb\\r\\n\\u0007", true, true)]
    [InlineData("a\\u0000b", true, false)]
    [InlineData("a\\u0000b", false, false)]
    [InlineData("\\u001f", false, false)]
    [InlineData("\\u007f", false, true)]
    [InlineData("\\ud800", true, false)]
    [InlineData("x\\udc00", false, false)]
    [InlineData("\\ude80\\ud83d", false, false)]
    [InlineData("\\ud83d\\ude80\\ud83d", false, false)]
    public void Short_fields_refuse_every_control_character_long_text_only_NUL_and_both_unpaired_surrogates(string escaped, bool longText, bool accepted) =>
        (WireText.Problem(Regex.Unescape(escaped), longText) is null).ShouldBe(accepted);

    [Theory]
    [InlineData("{\"a\":{\"b\":[\"x\",\"\\u0001\"]}}", "a.b[1]")]
    [InlineData("[{\"a\":1},{\"b\":\"\\u0000\"}]", "[1].b")]
    [InlineData("\"\\u0000\"", "body")]
    [InlineData("{\"a\\u0000\":1}", "body")]
    [InlineData("{\"a\":{\"b\\u0001\":1}}", "a")]
    [InlineData("{\"a\":1,\"b\":{\"c\":1,\"c\":2}}", "b.c")]
    [InlineData("{\"metadata\":{\"k\":\"\\u0000\"}}", "metadata.k")]
    [InlineData("{\"password\":\"a\\ud800\"}", "password")]
    public void A_problem_is_named_by_its_wire_path(string json, string field)
    {
        var problem = WireText.FindProblem(Encoding.UTF8.GetBytes(json));

        problem.ShouldNotBeNull();
        problem.Value.Field.ShouldBe(field);
    }

    [Theory]
    [InlineData("{\"metadata\":{\"k\":\"a\\tb\\n\\u0007\"},\"password\":\"p\\tq\"}")]
    [InlineData("{\"name\":\"plain\",\"n\":[1,2,{\"x\":null}],\"m\":[{\"x\":1},{\"x\":2}]}")]
    [InlineData("{not json")]
    [InlineData("")]
    public void Long_text_clean_text_and_malformed_json_are_left_alone(string json) =>
        WireText.FindProblem(Encoding.UTF8.GetBytes(json)).ShouldBeNull();

    [Fact]
    public void Invalid_utf8_in_a_string_is_a_problem()
    {
        byte[] json = [.. "{\"a\":\""u8, 0xED, 0xA0, 0x80, .. "\"}"u8];

        var problem = WireText.FindProblem(json);

        problem.ShouldNotBeNull();
        problem.Value.Field.ShouldBe("a");
    }
}

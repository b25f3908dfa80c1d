using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Coditect.Contracts.Common;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Platform;

/// <summary>
/// The served OpenAPI document is valid (openapi-spec-validator and Redocly's recommended rules, as decided) and
/// complete: every endpoint is an operation with an id, a summary, its parameters, the bearer scheme exactly when it
/// needs a caller, and its error answers as problem+json with their codes. An endpoint added without these fails here.
/// The document does not depend on the database, so this runs on SQLite only.
/// </summary>
public sealed partial class OpenApiContractTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    /// <summary>Pinned: a new Redocly release (new rules, or dropping Node 20) must not change the verdict by itself.</summary>
    private const string RedoclyCli = "@redocly/cli@2.77.0";

    private static readonly string[] HttpMethods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    private static readonly string[] StringLimits = ["maxLength", "minLength", "enum", "format", "pattern"];

    [GeneratedRegex(@"\{([^}:?*=]+)[^}]*\}")]
    private static partial Regex RouteParameter();

    [GeneratedRegex("^[a-z][a-zA-Z0-9]*$")]
    private static partial Regex CamelCase();

    [Fact]
    public async Task The_document_passes_openapi_spec_validator()
    {
        using var folder = new TempFolder();
        var file = await folder.SaveAsync("openapi.json", await DocumentTextAsync());

        var (exit, output, error) = await RunAsync("python3", ["-m", "openapi_spec_validator", file], folder.Path, TimeSpan.FromMinutes(2));

        exit.ShouldBe(0, $"openapi-spec-validator rejected the document:\n{output}\n{error}");
    }

    [Fact]
    public async Task The_document_has_no_errors_under_redoclys_recommended_rules()
    {
        using var folder = new TempFolder();
        var file = await folder.SaveAsync("openapi.json", await DocumentTextAsync());

        // In an empty folder, so no redocly.yaml is picked up: the recommended rules, nothing else.
        var (exit, output, error) = await RunAsync("npx",
            ["--yes", RedoclyCli, "lint", file, "--format=json", "--max-problems=1000", "--extends=recommended"],
            folder.Path, TimeSpan.FromMinutes(5));

        JsonNode report;
        try
        {
            report = JsonNode.Parse(output) ?? throw new FormatException("empty");
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException)
        {
            throw new ShouldAssertException(
                $"Redocly did not produce a report (exit {exit}). Can npx download {RedoclyCli} from the npm registry?\n{error}\n{output}");
        }

        var errors = report["problems"]!.AsArray()
            .Where(p => (string?)p!["severity"] == "error")
            .Select(p => $"{p!["ruleId"]}: {p["message"]} at {p["location"]?[0]?["pointer"]}")
            .ToList();
        errors.ShouldBeEmpty($"Redocly lint errors:\n{string.Join("\n", errors)}");
        ((int)report["totals"]!["errors"]!).ShouldBe(0);
    }

    [Fact]
    public async Task Every_operation_has_a_camel_case_id_a_summary_and_its_path_parameters()
    {
        var operations = Operations(await DocumentAsync());

        operations.Count.ShouldBeGreaterThanOrEqualTo(39);
        foreach (var (path, method, operation) in operations)
        {
            var where = $"{method.ToUpperInvariant()} {path}";
            ((string?)operation["operationId"]).ShouldNotBeNullOrWhiteSpace(where);
            ((string)operation["operationId"]!).ShouldMatch(CamelCase().ToString(), where);
            ((string?)operation["summary"]).ShouldNotBeNullOrWhiteSpace(where);

            var inPath = RouteParameter().Matches(path).Select(m => m.Groups[1].Value).ToList();
            var declared = Parameters(operation).Where(p => (string?)p["in"] == "path").ToList();
            declared.Select(p => (string)p["name"]!).ShouldBe(inPath, $"{where}: the path parameters, in path order");
            declared.ShouldAllBe(p => (bool?)p["required"] == true && !string.IsNullOrWhiteSpace((string?)p["description"]), where);
        }

        operations.Select(o => (string)o.Operation["operationId"]!).ShouldBeUnique();
    }

    [Fact]
    public async Task Every_endpoint_is_an_operation_named_after_it_with_the_answers_its_kind_gives()
    {
        var document = await DocumentAsync();
        var operations = Operations(document).ToDictionary(o => $"{o.Method} {o.Path}", o => o.Operation);
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>()?.ExcludeFromDescription != true)
            // MapHealthChecks is a plain request delegate, which API descriptions cannot see: the one known gap.
            .Where(e => e.RoutePattern.RawText != "/health/ready")
            .ToList();

        var seen = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var path = RouteParameter().Replace(endpoint.RoutePattern.RawText!, "{$1}").TrimEnd('/');
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
            {
                var key = $"{method.ToLowerInvariant()} {path}";
                seen.Add(key);
                operations.TryGetValue(key, out var operation).ShouldBeTrue($"{key} ({endpoint.DisplayName}) is missing from the document");
                ((string?)operation!["operationId"]).ShouldBe(endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName, key);

                var authorized = OpenApiContract.RequiresAuthorization(endpoint.Metadata);
                var security = operation["security"]?.AsArray();
                security.ShouldNotBeNull($"{key}: security is stated, [] when anonymous");
                (security.Count > 0).ShouldBe(authorized, $"{key}: a security requirement exactly when the endpoint requires authorization");
                if (authorized)
                {
                    security.Single()!.AsObject().Select(s => s.Key).ShouldBe([OpenApiContract.SecuritySchemeName], key);
                    Codes(operation, 401).ShouldBe([ProblemCodes.Unauthorized, ProblemCodes.ApiKeyAuthorityLost], ignoreOrder: true, key);
                }

                if (Permissions.DeclaresPermission(endpoint))
                {
                    Codes(operation, 403).ShouldContain(ProblemCodes.Forbidden, key);
                }

                if (path.Contains("{org}", StringComparison.Ordinal))
                {
                    Codes(operation, 404).ShouldContain(ProblemCodes.OrgNotFound, key);
                }

                foreach (var declared in endpoint.Metadata.GetOrderedMetadata<ProblemCodesMetadata>())
                {
                    declared.Codes.ShouldBeSubsetOf(Codes(operation, declared.StatusCode), key);
                }

                if (path.StartsWith("/api/", StringComparison.Ordinal))
                {
                    Codes(operation, 429).ShouldBe([ProblemCodes.RateLimited], key);
                    Codes(operation, 503).ShouldBe([ProblemCodes.ServiceUnavailable], key);
                }
            }
        }

        operations.Keys.ShouldBe(seen, ignoreOrder: true, "every operation in the document is an endpoint, and the other way round");
    }

    [Fact]
    public async Task Every_operation_gives_its_error_answers_as_problem_json_with_their_codes()
    {
        var known = typeof(ProblemCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!).ToList();

        foreach (var (path, method, operation) in Operations(await DocumentAsync()))
        {
            var where = $"{method.ToUpperInvariant()} {path}";
            var errors = operation["responses"]!.AsObject().Where(r => int.Parse(r.Key, System.Globalization.CultureInfo.InvariantCulture) >= 400).ToList();
            errors.ShouldNotBeEmpty(where);
            foreach (var (status, response) in errors)
            {
                var codes = Codes(operation, int.Parse(status, System.Globalization.CultureInfo.InvariantCulture));
                codes.ShouldNotBeEmpty($"{where} {status}: x-problem-codes");
                codes.ShouldBeSubsetOf(known, $"{where} {status}");
                ((string?)response!["description"]).ShouldNotBeNullOrWhiteSpace();
                codes.ShouldAllBe(c => ((string)response["description"]!).Contains($"`{c}`"), $"{where} {status}: the description lists the codes");

                var schema = response["content"]?[OpenApiContract.ProblemJson]?["schema"];
                schema.ShouldNotBeNull($"{where} {status} is application/problem+json");
                ((string?)schema["allOf"]?[0]?["$ref"]).ShouldBe($"#/components/schemas/{OpenApiContract.ProblemSchemaName}", $"{where} {status}");
                schema["allOf"]![1]!["properties"]!["code"]!["enum"]!.AsArray().Select(c => (string)c!).ShouldBe(codes, $"{where} {status}");
            }

            var query = Parameters(operation).Any(p => (string?)p["in"] == "query");
            if (operation["requestBody"] is not null)
            {
                Codes(operation, 400).ShouldBe([ProblemCodes.ValidationFailed, ProblemCodes.MalformedRequest], ignoreOrder: true, where);
                Codes(operation, 413).ShouldBe([ProblemCodes.PayloadTooLarge], where);
                Codes(operation, 415).ShouldBe([ProblemCodes.MalformedRequest], where);
            }
            else if (query)
            {
                Codes(operation, 400).ShouldContain(ProblemCodes.ValidationFailed, where);
            }

            Codes(operation, 500).ShouldBe([ProblemCodes.InternalError], where);
        }
    }

    [Fact]
    public void Every_problem_code_has_a_meaning()
    {
        var codes = typeof(ProblemCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!);

        codes.ShouldBe(OpenApiContract.ProblemMeanings.Keys, ignoreOrder: true);
    }

    [Fact]
    public async Task Query_parameters_are_typed_and_lists_take_page_and_page_size()
    {
        foreach (var (path, method, operation) in Operations(await DocumentAsync()))
        {
            var where = $"{method.ToUpperInvariant()} {path}";
            var query = Parameters(operation).Where(p => (string?)p["in"] == "query").ToList();
            foreach (var parameter in query)
            {
                ((string?)parameter["description"]).ShouldNotBeNullOrWhiteSpace($"{where} ?{parameter["name"]}");
                ((string?)parameter["schema"]?["type"]).ShouldNotBeNull($"{where} ?{parameter["name"]}");
            }

            var answer = (string?)operation["responses"]?["200"]?["content"]?["application/json"]?["schema"]?["$ref"];
            if (answer?.StartsWith("#/components/schemas/PagedListOf", StringComparison.Ordinal) == true)
            {
                var page = query.SingleOrDefault(p => (string?)p["name"] == "page")?["schema"];
                var size = query.SingleOrDefault(p => (string?)p["name"] == "page_size")?["schema"];
                page.ShouldNotBeNull($"{where} is a list: ?page");
                size.ShouldNotBeNull($"{where} is a list: ?page_size");
                ((int?)size["maximum"]).ShouldBe(Paging.MaxPageSize, where);
            }
        }
    }

    [Fact]
    public async Task Request_bodies_say_what_the_api_accepts()
    {
        var document = await DocumentAsync();
        var schemas = document["components"]!["schemas"]!;
        var bodies = Operations(document)
            .Select(o => (string?)o.Operation["requestBody"]?["content"]?["application/json"]?["schema"]?["$ref"])
            .OfType<string>().Select(r => r.Split('/')[^1]).Distinct().ToList();

        bodies.ShouldContain("UpdateLicenseRequest", "the licence PATCH documents a typed body, not any JSON");
        foreach (var name in bodies)
        {
            var schema = schemas[name]!;
            var required = schema["required"]?.AsArray().Select(r => (string)r!).ToList() ?? [];
            foreach (var (member, property) in schema["properties"]!.AsObject())
            {
                var types = property!["type"] is JsonArray many ? many.Select(t => (string)t!).ToList() : [(string?)property["type"] ?? ""];
                if (required.Contains(member))
                {
                    types.ShouldNotContain("null", $"{name}.{member} is required, so null is refused");
                }

                if (types.Contains("string"))
                {
                    StringLimits.ShouldContain(k => property[k] != null, $"{name}.{member}: say what the API accepts (length, values or format)");
                }
            }
        }
    }

    /// <summary>
    /// Calls every operation without a credential and then as a signed-in user (in an organization that does not exist,
    /// with ids that do not exist and empty bodies, so nothing changes): each answer's status, and its problem code,
    /// must be one the document gives for that operation.
    /// </summary>
    [Fact]
    public async Task Anonymous_and_signed_in_calls_answer_only_what_the_document_says()
    {
        var operations = Operations(await DocumentAsync());
        var anonymous = app.Anonymous().Http;
        var signedIn = (await app.Anonymous().RegisterAsync()).Client.Http;
        var unexpected = new List<string>();

        foreach (var (client, who) in new[] { (anonymous, "anonymous"), (signedIn, "signed in") })
        {
            foreach (var (path, method, operation) in operations)
            {
                var integers = Parameters(operation).Where(p => (string?)p["in"] == "path" && (string?)p["schema"]?["type"] == "integer")
                    .Select(p => (string)p["name"]!).ToHashSet(StringComparer.Ordinal);
                var url = RouteParameter().Replace(path, m => m.Groups[1].Value switch
                {
                    "org" => "no-such-org-" + Guid.NewGuid().ToString("N")[..8],
                    "token" => "cdi_no-such-invitation",
                    var name when integers.Contains(name) => "999999",
                    _ => Guid.NewGuid().ToString(),
                });
                using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), url);
                if (operation["requestBody"] is not null)
                {
                    request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                }

                using var response = await client.SendAsync(request);
                var status = (int)response.StatusCode;
                var where = $"{who}: {method.ToUpperInvariant()} {url} answered {status}";
                if (operation["responses"]?[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] is null)
                {
                    unexpected.Add($"{where}, which the document does not list");
                    continue;
                }

                if (response.Content.Headers.ContentType?.MediaType == OpenApiContract.ProblemJson)
                {
                    var code = (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())?["code"];
                    if (code is null || !Codes(operation, status).Contains(code))
                    {
                        unexpected.Add($"{where} {code}, which the document does not list");
                    }
                }

                var secured = operation["security"]?.AsArray().Count > 0;
                if (who == "anonymous" && (status == StatusCodes.Status401Unauthorized) != secured)
                {
                    unexpected.Add($"{where}, but the document says it {(secured ? "needs" : "does not need")} a credential");
                }
            }
        }

        unexpected.ShouldBeEmpty(string.Join("\n", unexpected));
    }

    private async Task<string> DocumentTextAsync()
    {
        var response = await app.Anonymous().GetAsync("/openapi/v1.json");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<JsonNode> DocumentAsync() => JsonNode.Parse(await DocumentTextAsync())!;

    private static List<(string Path, string Method, JsonObject Operation)> Operations(JsonNode document) =>
    [
        .. document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject()
            .Where(item => HttpMethods.Contains(item.Key))
            .Select(item => (path.Key, item.Key, item.Value!.AsObject()))),
    ];

    private static IEnumerable<JsonNode> Parameters(JsonObject operation) =>
        operation["parameters"]?.AsArray().OfType<JsonNode>() ?? [];

    /// <summary>The problem codes the operation lists for a status (<c>x-problem-codes</c>), none if the status is not listed.</summary>
    private static List<string> Codes(JsonObject operation, int status) =>
        operation["responses"]?[status.ToString(System.Globalization.CultureInfo.InvariantCulture)]?[OpenApiContract.ProblemCodesExtension]?
            .AsArray().Select(c => (string)c!).ToList() ?? [];

    private static async Task<(int Exit, string Output, string Error)> RunAsync(
        string program, IEnumerable<string> arguments, string folder, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        start.Environment["NO_COLOR"] = "1";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception($"{program} did not start");
        }
        catch (Win32Exception e)
        {
            throw new ShouldAssertException($"Could not run {program} (is it installed and on PATH?): {e.Message}");
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timer = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(timer.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new ShouldAssertException($"{program} {string.Join(" ", start.ArgumentList)} did not finish within {timeout}.");
            }

            return (process.ExitCode, await output, await error);
        }
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("coditect-openapi-").FullName;

        public async Task<string> SaveAsync(string name, string text)
        {
            var file = System.IO.Path.Combine(Path, name);
            await File.WriteAllTextAsync(file, text);
            return file;
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}

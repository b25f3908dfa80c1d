using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Coditect.Contracts.Licensing;
using Coditect.Server.Tests.Infrastructure;
using Coditect.Server.Tests.Licensing;

namespace Coditect.Server.Tests.Platform;

/// <summary>
/// Walks every operation of the served OpenAPI document and sends each string input (body properties, path
/// parameters, query parameters) bad text: NUL, control characters, unpaired surrogates and oversized values. Every
/// answer must be a 4xx problem+json, never a 5xx; bad characters in a short field must be 400 VALIDATION_FAILED
/// naming the field. Each probe changes one input of an otherwise valid request, so the server gets as far as it would
/// with good input (the database included) before the bad value could hurt.
/// </summary>
/// <remarks>
/// The document does not declare query parameters yet, nor the <c>{org}</c> route parameter, nor the body of the
/// licence PATCH (a free-form object): <see cref="KnownQuery"/>, the path template and <see cref="UndescribedBodies"/>
/// fill those gaps; whatever the document adds is walked too.
/// </remarks>
public abstract partial class OpenApiInputWalkTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    /// <summary>The query parameters the API reads (docs/api.md); sent to every GET under /api/v1, where unread ones are checked too.</summary>
    private static readonly string[] KnownQuery = ["search", "status", "action", "object_type", "object_id", "page", "page_size", "from", "to", "bucket"];

    /// <summary>Operations whose body the document leaves open, with the schema they actually take.</summary>
    private static readonly Dictionary<string, string> UndescribedBodies = new(StringComparer.Ordinal)
    {
        ["PATCH /api/v1/orgs/{org}/licenses/{id}"] = "CreateLicenseRequest",
    };

    /// <summary>
    /// Long text (see docs/api.md): control characters other than NUL are content, not errors. Besides the password and
    /// licence metadata, each operation lists its own long-text fields in <c>x-long-text</c> (<c>[]</c>: any index).
    /// </summary>
    private static bool IsLongText(string field, IReadOnlyList<string> declared) =>
        field == "password" || field.StartsWith("metadata.", StringComparison.Ordinal)
        || declared.Contains(AnyIndex().Replace(field, "[]"));

    [GeneratedRegex(@"\[\d+\]")]
    private static partial Regex AnyIndex();

    private const string Marker = "\"@@probe@@\"";

    private static readonly Probe[] BodyProbes =
    [
        new("NUL", "\"a\\u0000b\"", Expect.NamedAlways),
        new("a control character", "\"a\\u0001b\"", Expect.NamedUnlessLongText),
        new("a line feed", "\"a\\nb\"", Expect.NamedUnlessLongText),
        new("an unpaired high surrogate", "\"a\\ud800b\"", Expect.NamedAlways),
        new("an unpaired low surrogate", "\"\\udc00\"", Expect.NamedAlways),
        new("an oversized value", $"\"{new string('x', 20_000)}\"", Expect.ClientError),
    ];

    // A URL cannot carry an unpaired surrogate (it is UTF-8); %ED%A0%80 arrives as invalid UTF-8, not as a surrogate.
    private static readonly Probe[] QueryProbes =
    [
        new("NUL", "a%00b", Expect.NamedAlways),
        new("a control character", "a%01b", Expect.NamedAlways),
        new("a line feed", "a%0Ab", Expect.NamedAlways),
        new("an oversized value", new string('x', 5_000), Expect.ClientError),
    ];

    // %00 in a path never reaches the application: Kestrel refuses the request line (KestrelTests pins it) and the
    // in-memory test client refuses to send it.
    private static readonly Probe[] PathProbes =
    [
        new("a control character", "a%01b", Expect.NamedAlways),
        new("a line feed", "a%0Ab", Expect.NamedAlways),
        new("an oversized value", new string('x', 300), Expect.ClientError),
    ];

    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task Every_declared_string_input_answers_bad_text_with_a_4xx_problem_never_a_5xx()
    {
        var world = await World.CreateAsync(_anonymous);
        var document = JsonNode.Parse(await world.Caller.Client.Http.GetStringAsync("/openapi/v1.json"))!;
        var failures = new List<string>();
        var sent = 0;

        foreach (var operation in Operations(document))
        {
            foreach (var request in Requests(operation, document, world))
            {
                sent++;
                var response = await world.Caller.Client.Http.SendAsync(request.Build());
                if (await JudgeAsync(request, response) is { } failure)
                {
                    failures.Add(failure);
                }
            }
        }

        sent.ShouldBeGreaterThan(300, "the walk should cover the whole API");
        failures.ShouldBeEmpty($"{failures.Count} of {sent} probes:\n" + string.Join("\n", failures.Take(40)));
    }

    private static async Task<string?> JudgeAsync(ProbeRequest request, HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync();
        // Long text takes control characters, and 20,000 characters are not too many for a description or a plan.
        var expect = request.Probe.Expect is Expect.NamedUnlessLongText or Expect.ClientError && request.Where == "body field" && IsLongText(request.Field, request.LongText)
            ? Expect.NotServerError
            : request.Probe.Expect;
        var what = $"{request.Label}: {request.Probe.Name} in {request.Where} {request.Field} answered {status} {Shorten(body)}";
        if (status >= 500)
        {
            return what;
        }

        if (status < 400)
        {
            return expect == Expect.NotServerError ? null : what;
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return what + " (not problem+json)";
        }

        var problem = JsonDocument.Parse(body).RootElement;
        if (!problem.TryGetProperty("code", out _) || !problem.TryGetProperty("request_id", out _))
        {
            return what + " (no code or request_id)";
        }

        var named = status == 400
            && problem.GetProperty("code").GetString() == "VALIDATION_FAILED"
            && problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(request.Field, out _);
        return expect is Expect.NamedAlways or Expect.NamedUnlessLongText && !named && !request.MayMissRoute ? what + " (field not named)" : null;
    }

    private static string Shorten(string body) => body.Length <= 300 ? body : body[..300] + "…";

    private static IEnumerable<Operation> Operations(JsonNode document)
    {
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, node) in item!.AsObject())
            {
                if (method is "get" or "post" or "put" or "patch" or "delete")
                {
                    yield return new Operation(method.ToUpperInvariant(), path, node!);
                }
            }
        }
    }

    private static IEnumerable<ProbeRequest> Requests(Operation operation, JsonNode document, World world)
    {
        var label = $"{operation.Method} {operation.Path}";
        var declared = (operation.Node["parameters"]?.AsArray() ?? []).Select(p => p!).ToList();
        IReadOnlyList<string> longText = [.. (operation.Node["x-long-text"]?.AsArray() ?? []).Select(f => (string)f!)];

        // Path parameters: the template's (the document leaves {org} out), uuid-typed ones as the document says.
        foreach (var name in PathParameters().Matches(operation.Path).Select(m => m.Groups[1].Value))
        {
            // A route constraint (uuid, int) that no longer matches answers 404 rather than naming the value.
            var isUuid = declared.Any(p => (string?)p["in"] == "path" && (string?)p["name"] == name && (string?)p["schema"]?["format"] is "uuid" or "int32" or "int64");
            foreach (var probe in PathProbes)
            {
                var path = PathParameters().Replace(operation.Path, m => m.Groups[1].Value == name ? probe.Value : world.PathValue(operation.Path, m.Groups[1].Value));
                yield return new ProbeRequest(label, "path parameter", Snake(name), probe, isUuid, longText, () => Message(operation, path, BodyOf(operation, document, world)));
            }
        }

        var basePath = PathParameters().Replace(operation.Path, m => world.PathValue(operation.Path, m.Groups[1].Value));

        // Query parameters: the document's, and the known ones on every GET of the API.
        var query = declared.Where(p => (string?)p["in"] == "query").Select(p => (string)p["name"]!).ToList();
        if (operation.Method == "GET" && operation.Path.StartsWith("/api/v1/", StringComparison.Ordinal))
        {
            query = [.. query.Union(KnownQuery)];
        }

        foreach (var name in query)
        {
            foreach (var probe in QueryProbes)
            {
                yield return new ProbeRequest(label, "query parameter", name, probe, false, longText,
                    () => Message(operation, $"{basePath}?{Uri.EscapeDataString(name)}={probe.Value}", BodyOf(operation, document, world)));
            }
        }

        // Body: every string the schema reaches, one at a time in an otherwise valid body.
        if (BodySchema(operation, document) is { } schema)
        {
            foreach (var field in StringFields(schema, document, ""))
            {
                foreach (var probe in BodyProbes)
                {
                    yield return new ProbeRequest(label, "body field", field, probe, false, longText, () =>
                    {
                        var body = ValidBody(schema, document, world);
                        Place(body, field);
                        return Message(operation, basePath, body.ToJsonString().Replace(Marker, probe.Value, StringComparison.Ordinal));
                    });
                }
            }
        }
    }

    private static HttpRequestMessage Message(Operation operation, string path, string? json)
    {
        var message = new HttpRequestMessage(new HttpMethod(operation.Method), path);
        if (json is not null)
        {
            message.Content = new StringContent(json, Encoding.UTF8);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        return message;
    }

    private static string? BodyOf(Operation operation, JsonNode document, World world) =>
        BodySchema(operation, document) is { } schema ? ValidBody(schema, document, world).ToJsonString() : null;

    private static JsonNode? BodySchema(Operation operation, JsonNode document)
    {
        if (operation.Node["requestBody"]?["content"]?["application/json"]?["schema"] is not { } schema)
        {
            return null;
        }

        var resolved = Resolve(schema, document);
        if (resolved["properties"] is null && UndescribedBodies.TryGetValue($"{operation.Method} {operation.Path}", out var name))
        {
            resolved = document["components"]!["schemas"]![name]!;
        }

        return resolved;
    }

    /// <summary>Follows <c>$ref</c> and the <c>oneOf: [null, $ref]</c> the generator writes for nullable objects.</summary>
    private static JsonNode Resolve(JsonNode schema, JsonNode document)
    {
        if ((string?)schema["$ref"] is { } reference)
        {
            return Resolve(document["components"]!["schemas"]![reference.Split('/')[^1]]!, document);
        }

        return schema["oneOf"]?.AsArray().Select(s => s!).FirstOrDefault(s => s["$ref"] is not null) is { } inner ? Resolve(inner, document) : schema;
    }

    private static bool HasType(JsonNode schema, string type) => schema["type"] switch
    {
        JsonArray types => types.Any(t => (string?)t == type),
        JsonValue single => (string?)single == type,
        _ => false,
    };

    /// <summary>Wire paths of every string the schema reaches: <c>client.hostname</c>, <c>entitlements[0]</c>, <c>metadata.k</c>.</summary>
    private static IEnumerable<string> StringFields(JsonNode schema, JsonNode document, string prefix)
    {
        foreach (var (name, node) in schema["properties"]?.AsObject() ?? [])
        {
            var property = Resolve(node!, document);
            var path = prefix + name;
            if (HasType(property, "string"))
            {
                yield return path;
            }
            else if (HasType(property, "array") && property["items"] is { } items && HasType(Resolve(items, document), "string"))
            {
                yield return path + "[0]";
            }
            else if (property["properties"] is not null)
            {
                foreach (var inner in StringFields(property, document, path + "."))
                {
                    yield return inner;
                }
            }
            else if (HasType(property, "object"))
            {
                yield return path + ".k"; // a free-form object: a member of it
            }
        }
    }

    private static JsonObject ValidBody(JsonNode schema, JsonNode document, World world)
    {
        var body = new JsonObject();
        foreach (var (name, node) in schema["properties"]?.AsObject() ?? [])
        {
            var property = Resolve(node!, document);
            body[name] = property["properties"] is not null ? ValidBody(property, document, world) : world.BodyValue(name, property);
        }

        return body;
    }

    /// <summary>Puts the probe marker at <paramref name="field"/>, creating the array or object it needs.</summary>
    private static void Place(JsonObject body, string field)
    {
        var parts = field.Split('.');
        JsonObject target = body;
        foreach (var part in parts[..^1])
        {
            target = target[part] as JsonObject ?? (JsonObject)(target[part] = new JsonObject());
        }

        var last = parts[^1];
        if (last.EndsWith("[0]", StringComparison.Ordinal))
        {
            target[last[..^3]] = new JsonArray(JsonValue.Create("@@probe@@"));
        }
        else
        {
            target[last] = "@@probe@@";
        }
    }

    private static string Snake(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);

    [GeneratedRegex(@"\{([A-Za-z0-9_]+)\}")]
    private static partial Regex PathParameters();

    private enum Expect
    {
        /// <summary>400 VALIDATION_FAILED naming the field.</summary>
        NamedAlways,

        /// <summary>The same for a short field; long text may take it.</summary>
        NamedUnlessLongText,

        /// <summary>Any 4xx problem+json.</summary>
        ClientError,

        /// <summary>Anything but a 5xx (and a 4xx must be problem+json).</summary>
        NotServerError,
    }

    private sealed record Probe(string Name, string Value, Expect Expect);

    private sealed record Operation(string Method, string Path, JsonNode Node);

    /// <summary>One bad input. <c>MayMissRoute</c>: a uuid route parameter that no longer matches answers 404, not 400.</summary>
    private sealed record ProbeRequest(
        string Label, string Where, string Field, Probe Probe, bool MayMissRoute, IReadOnlyList<string> LongText, Func<HttpRequestMessage> Build);

    /// <summary>Real objects for the valid parts of each request: a signed-in owner, a licence with a live session, and so on.</summary>
    private sealed record World(
        Caller Caller, LicenseResponse License, Guid SessionId, Guid InvitationId, string InvitationToken, Guid ApiKeyId, DevContext.WorkWorld Work)
    {
        public static async Task<World> CreateAsync(Client anonymous)
        {
            var caller = await anonymous.RegisterStaffAsync(); // staff, so that the staff API's bodies are walked too
            var license = await caller.CreateLicenseAsync(1000);
            var session = await anonymous.AcquireSeatAsync(license.LicenseKey!, "walk-machine");
            var invitation = await (await caller.Client.PostAsync($"{caller.OrgPath}/invitations",
                new Contracts.Organizations.CreateInvitationRequest($"invitee-{Guid.NewGuid():N}@example.com", "viewer")))
                .ReadAsync<Contracts.Organizations.InvitationResponse>(HttpStatusCode.Created);
            var apiKey = await caller.CreateApiKeyAsync("viewer");
            return new World(caller, license, session.SessionId, invitation.Id, invitation.Token!, apiKey.Id, await DevContext.WorkWorld.CreateAsync(caller));
        }

        public string PathValue(string template, string name) => name switch
        {
            "org" => Caller.OrgSlug,
            "userId" => Caller.UserId.ToString(),
            "sessionId" => SessionId.ToString(),
            "token" => InvitationToken,
            "id" when template.Contains("/licenses/", StringComparison.Ordinal) => License.Id.ToString(),
            "id" when template.Contains("/invitations/", StringComparison.Ordinal) => InvitationId.ToString(),
            "id" when template.Contains("/api-keys/", StringComparison.Ordinal) => ApiKeyId.ToString(),
            "id" when template.Contains("/projects/", StringComparison.Ordinal) => Work.Project.Id.ToString(),
            "id" when template.Contains("/teams/", StringComparison.Ordinal) => Work.Team.Id.ToString(),
            "id" when template.Contains("/repositories/", StringComparison.Ordinal) => Work.Repository.Id.ToString(),
            "id" when template.Contains("/staff/organizations/", StringComparison.Ordinal) => Caller.OrgId.ToString(),
            "listId" => Work.List.Id.ToString(),
            "task" => Work.Task.Reference,
            "dependsOn" => Work.Other.Reference,
            "version" => "1",
            _ => Guid.NewGuid().ToString(),
        };

        /// <summary>A value the server accepts for a body property, fresh where it must be unique.</summary>
        public JsonNode? BodyValue(string name, JsonNode schema) => name switch
        {
            "email" or "user_email" => $"walk-{Guid.NewGuid():N}@example.com",
            "password" => "correct horse battery staple",
            "name" or "organization_name" => $"Walk {Guid.NewGuid():N}",
            "slug" => null, // the server makes one; a fixed one would rename the organization the walk uses
            "role" => "viewer",
            "license_key" => License.LicenseKey,
            "hardware_id" => $"hw-{Guid.NewGuid():N}",
            "session_id" => SessionId.ToString(),
            "refresh_token" => Caller.Tokens.RefreshToken,
            "hostname" => "build-agent-7",
            "app_version" => "1.0.0",
            "os" => "linux",
            "seats_total" => 1000,
            "entitlements" => new JsonArray("export"),
            "task_list_id" => Work.List.Id.ToString(),
            "project_id" => Work.Project.Id.ToString(),
            "assignee_id" => Caller.UserId.ToString(),
            "team_id" or "parent_id" or "depends_on_id" or "reference" or "key" => null,
            "status" when schema["enum"] is null => null,
            "priority" => "medium",
            "due_date" => "2027-01-31",
            "provider" => "github",
            "clone_url" => "https://example.com/acme/app.git",
            "default_branch" => "main",
            "content" or "markdown" => "- [ ] walk",
            _ when schema["enum"] is JsonArray values && values.Count > 0 => values[0]!.DeepClone(),
            _ when HasType(schema, "boolean") => false,
            _ when HasType(schema, "number") => 1.5,
            _ when HasType(schema, "null") => null,
            _ when HasType(schema, "string") => "x",
            _ when HasType(schema, "integer") => 1,
            _ when HasType(schema, "array") => new JsonArray(),
            _ => new JsonObject(),
        };
    }
}

public sealed class OpenApiInputWalkTestsOnSqlite(SqliteApp app) : OpenApiInputWalkTests<SqliteApp>(app);

public sealed class OpenApiInputWalkTestsOnPostgres(PostgresApp app) : OpenApiInputWalkTests<PostgresApp>(app);

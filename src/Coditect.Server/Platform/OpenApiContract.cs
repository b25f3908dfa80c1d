using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Coditect.Contracts.Common;
using Coditect.Server.Identity;
using Coditect.Server.Organizations;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;

namespace Coditect.Server.Platform;

/// <summary>
/// The OpenAPI document (<c>/openapi/v1.json</c>) as a contract: every operation has an id, a summary, its path and
/// query parameters, the bearer scheme exactly when it requires authorization, and every error answer it can give as
/// problem+json with its <c>code</c> values. The answers every endpoint of a kind gives (a body, a query, a signed-in
/// caller, a permission, <c>{org}</c>, <c>/api</c>) are derived here from the endpoint's metadata, so a new endpoint
/// gets them without saying so; an endpoint adds its own codes with <see cref="OpenApiMetadata.ProducesProblems"/> and its query
/// parameters with <see cref="OpenApiMetadata.WithQuery"/>. Schemas: <see cref="OpenApiSchemas"/>. Checked by OpenApiContractTests
/// (openapi-spec-validator, Redocly's recommended rules, and these rules).
/// </summary>
public static partial class OpenApiContract
{
    public const string SecuritySchemeName = "bearer";
    public const string ProblemSchemaName = "Problem";
    public const string ProblemJson = "application/problem+json";
    public const string ProblemCodesExtension = "x-problem-codes";

    /// <summary>What each <see cref="ProblemCodes"/> value means; a response lists the meaning beside the code.</summary>
    public static readonly IReadOnlyDictionary<string, string> ProblemMeanings = new Dictionary<string, string>
    {
        [ProblemCodes.ValidationFailed] = "a field is missing or invalid; `errors` names each field",
        [ProblemCodes.MalformedRequest] = "the body is not JSON, a field has the wrong JSON type (`field` and `errors` name it), "
            + "there is no body, or it is not `application/json`",
        [ProblemCodes.PayloadTooLarge] = "the body is over the server's limit (`Api:MaxRequestBodyBytes`)",
        [ProblemCodes.Unauthorized] = "no credential, or an invalid, expired or revoked one",
        [ProblemCodes.Forbidden] = "the caller's role lacks the permission",
        [ProblemCodes.NotFound] = "no such route, e.g. an id that is not a UUID",
        [ProblemCodes.MethodNotAllowed] = "the route exists, the method does not",
        [ProblemCodes.RateLimited] = "over a rate limit; retry after `Retry-After` seconds (`retry_after_seconds`)",
        [ProblemCodes.InternalError] = "a bug; quote the request id",
        [ProblemCodes.ServiceUnavailable] = "the database cannot be reached; retry after `Retry-After` seconds",
        [ProblemCodes.EmailTaken] = "an account with this email exists (`field`: `email`)",
        [ProblemCodes.InvalidCredentials] = "wrong email or password (the same answer for both)",
        [ProblemCodes.EmailNotVerified] = "the account's e-mail address is not confirmed yet (Identity:RequireEmailVerification)",
        [ProblemCodes.InvalidRefreshToken] = "the refresh token is unknown, expired or revoked",
        [ProblemCodes.RefreshTokenReused] = "the refresh token was already spent; every token of that sign-in is now revoked",
        [ProblemCodes.UserTokenRequired] = "an API key called an endpoint that needs a person's access token",
        [ProblemCodes.OrgNotFound] = "no such organization, or the caller is not in it",
        [ProblemCodes.SlugTaken] = "another organization has that slug (`field`: `slug`)",
        [ProblemCodes.MemberNotFound] = "no such member in this organization",
        [ProblemCodes.LastOwner] = "the change would leave the organization without an owner",
        [ProblemCodes.AlreadyMember] = "that person is already a member",
        [ProblemCodes.InvitationNotFound] = "unknown, used, revoked or expired invitation",
        [ProblemCodes.InvitationNotForYou] = "the invitation was sent to another email address",
        [ProblemCodes.ApiKeyNotFound] = "no such API key in this organization",
        [ProblemCodes.WebhookNotFound] = "no such webhook endpoint in this organization",
        [ProblemCodes.WebhookDeliveryNotFound] = "no such delivery of this webhook endpoint",
        [ProblemCodes.ApiKeyAuthorityLost] = "the API key's creator left the organization or no longer holds the key's role",
        [ProblemCodes.OrganizationSuspended] = "platform staff suspended the organization: its licences refuse acquire and heartbeat, "
            + "and its members can only read the organization itself",
        [ProblemCodes.LicenseNotFound] = "no such licence in this organization; on the lease protocol, no licence has this key",
        [ProblemCodes.LicenseSuspended] = "the licence is suspended",
        [ProblemCodes.LicenseExpired] = "the licence's `expires_at` has passed",
        [ProblemCodes.NoSeatsAvailable] = "every seat holds a live lease (`seats_total`, `seats_used`)",
        [ProblemCodes.BorrowingNotAllowed] = "the licence does not allow borrowing a seat (`borrow_max_hours` is 0)",
        [ProblemCodes.SessionNotFound] = "no such session under this licence key, or (kick) in this organization",
        [ProblemCodes.SessionExpired] = "the lease lapsed; acquire again",
        [ProblemCodes.SessionReleased] = "the session was released or ended by an administrator",
        [ProblemCodes.LicenseNodeLocked] = "the licence is node-locked: activate the machine instead of leasing a seat",
        [ProblemCodes.LicenseNotNodeLocked] = "the licence is floating: acquire a seat instead of activating the machine",
        [ProblemCodes.MachineLimitReached] = "every machine the node-locked licence allows is activated",
        [ProblemCodes.MachineNotFound] = "no such machine is activated on this licence",
        [ProblemCodes.SeatLedgerUnavailable] = "reserved; never returned",
        [ProblemCodes.QueueTicketNotFound] = "no such queue ticket, or not taken with this licence key and hardware id",
        [ProblemCodes.QueueTicketNotOffered] = "a claim before a seat was offered to the ticket",
        [ProblemCodes.QueueTicketLapsed] = "the queue ticket lapsed (not polled in time, or its offer not claimed in time)",
        [ProblemCodes.TeamNotFound] = "no such team in this organization",
        [ProblemCodes.ProjectNotFound] = "no such project in this organization",
        [ProblemCodes.TaskListNotFound] = "no such task list in this project",
        [ProblemCodes.TaskNotFound] = "no such task in this organization (by id or `KEY-number` reference)",
        [ProblemCodes.PlanVersionNotFound] = "the project's plan has no such version",
        [ProblemCodes.RepositoryNotFound] = "no such repository in this organization",
        [ProblemCodes.DependencyNotFound] = "the task does not depend on that task",
        [ProblemCodes.ProjectKeyTaken] = "another project of the organization has (or had) that key (`field`: `key`)",
        [ProblemCodes.NameTaken] = "another object of the organization has that name or slug (`field` names it)",
        [ProblemCodes.WorkSessionNotFound] = "no such work session in this organization",
        [ProblemCodes.ConversationNotFound] = "no such conversation in this work session",
        [ProblemCodes.ContentNotFound] = "no message of this organization has that content hash",
        [ProblemCodes.ExternalIdTaken] = "another work session of this organization and tool has that `external_id` (`id` names it)",
        [ProblemCodes.DependencyCycle] = "the dependency would close a cycle; `cycle` lists its tasks in order",
        [ProblemCodes.TaskBlocked] = "a task it depends on is not done (`blocking` lists them); send `force: true` to override",
        [ProblemCodes.QuotaExceeded] = "the organization's plan allows no more of this (`quota`, `limit`, `used`, `plan`); nothing was stored",
        [ProblemCodes.TrialAlreadyUsed] = "the organization has had its one trial",
        [ProblemCodes.LicenseManaged] = "billing manages this licence (`managed_by: billing`); change the subscription instead",
        [ProblemCodes.BillingProviderManual] = "billing is manual on this server: platform staff set plans; there is no checkout or portal",
        [ProblemCodes.NoSubscription] = "the organization has never checked out, so there is no customer portal",
        [ProblemCodes.SubscriptionActive] = "the organization has a paid subscription in force; a trial would replace it",
    };

    /// <summary>The tags features give their endpoints, described for the document's readers.</summary>
    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Authentication"] = "Accounts, sign-in and tokens: register, login, refresh, logout and `/me`.",
        ["Organizations"] = "Organizations (tenants): the caller's own, and one addressed by `{org}` (slug or id).",
        ["Members"] = "Members of an organization and invitations to join it.",
        ["API keys"] = "API keys (`cdk_...`) that act in one organization with one role.",
        ["Audit"] = "The organization's audit trail.",
        ["Licences"] = "The vendor's side: licences, their sessions (leases) and usage history.",
        ["Lease protocol"] = "Called by licensed applications with the licence key, without `Authorization`; "
            + "and the keys that verify lease tokens offline.",
        ["Health"] = "Liveness for load balancers and orchestrators.",
        ["Teams"] = "Dev Context: teams of the organization's members, each a lead or a member.",
        ["Projects"] = "Dev Context: projects, their versioned plans, markdown import and export, and statistics.",
        ["Tasks"] = "Dev Context: task lists and tasks (checkbox, assignee, order, dependencies) with `KEY-number` references.",
        ["Repositories"] = "Dev Context: git repositories, commit sync (idempotent by SHA) and where each branch's sync stands.",
        ["Staff"] = "Platform operators (users flagged staff, never an API key): suspend and unsuspend any organization, set its plan.",
        ["Billing"] = "The organization's plan, its quotas and their use, trial and subscription.",
    };

    [GeneratedRegex(@"\{([^}:?*=]+)[^}]*\}")]
    private static partial Regex RouteParameter();

    public static IServiceCollection AddOpenApiContract(this IServiceCollection services) => services.AddOpenApi(options =>
    {
        // Anonymous answers (health) and any-JSON values (licence metadata) are inlined rather than named.
        options.CreateSchemaReferenceId = type =>
            type.Type == typeof(System.Text.Json.JsonElement) || type.Type.Name.Contains("AnonymousType", StringComparison.Ordinal)
                ? null
                : OpenApiOptions.CreateDefaultSchemaReferenceId(type);
        options.AddSchemaTransformer(OpenApiSchemas.TransformAsync);
        options.AddOperationTransformer(TransformOperationAsync);
        options.AddDocumentTransformer(TransformDocumentAsync);
    });

    private static async Task TransformOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var document = context.Document ?? throw new InvalidOperationException("The operation has no document.");
        var description = context.Description;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var path = RouteParameter().Replace("/" + (description.RelativePath ?? "").TrimEnd('/'), "{$1}"); // without constraints

        DeclarePathParameters(operation, path);
        if (metadata.OfType<LongTextMetadata>().FirstOrDefault() is { } longText)
        {
            operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            operation.Extensions[LongTextFields.Extension] =
                new JsonNodeExtension(new JsonArray([.. longText.Fields.Select(f => (JsonNode)JsonValue.Create(f))]));
        }

        DeclareQueryParameters(operation, metadata.OfType<QueryParameter>());
        await DocumentAcceptedBodyAsync(operation, context, ct);

        var problems = new SortedDictionary<int, List<string>>();
        void Add(int status, params string[] codes)
        {
            if (!problems.TryGetValue(status, out var list))
            {
                problems[status] = list = [];
            }

            list.AddRange(codes.Where(c => !list.Contains(c)));
        }

        if (operation.RequestBody is not null)
        {
            Add(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, ProblemCodes.MalformedRequest);
            Add(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge);
            Add(StatusCodes.Status415UnsupportedMediaType, ProblemCodes.MalformedRequest);
        }

        if (metadata.OfType<QueryParameter>().Any())
        {
            Add(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed);
        }

        var requiresAuthorization = RequiresAuthorization(metadata);
        if (requiresAuthorization)
        {
            Add(StatusCodes.Status401Unauthorized, ProblemCodes.Unauthorized, ProblemCodes.ApiKeyAuthorityLost);
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecuritySchemeName, document)] = [] }];
        }
        else
        {
            operation.Security = []; // explicitly none: anonymous
        }

        var endpoint = new Endpoint(null, new EndpointMetadataCollection(metadata), null);
        if (Permissions.DeclaresPermission(endpoint) || metadata.OfType<IAuthorizeData>().Any(a => a.Policy == StaffRequirement.Policy))
        {
            Add(StatusCodes.Status403Forbidden, ProblemCodes.Forbidden);
        }

        if (path.Contains("{org}", StringComparison.Ordinal))
        {
            if (!SuspendedOrganizations.AllowsWhenSuspended(endpoint))
            {
                Add(StatusCodes.Status403Forbidden, ProblemCodes.OrganizationSuspended);
            }

            Add(StatusCodes.Status404NotFound, ProblemCodes.OrgNotFound);
        }

        if (description.ParameterDescriptions.Any(p => p.Source == BindingSource.Path && p.RouteInfo?.Constraints?.Any() == true))
        {
            Add(StatusCodes.Status404NotFound, ProblemCodes.NotFound); // an id of the wrong shape matches no route
        }

        foreach (var declared in metadata.OfType<ProblemCodesMetadata>())
        {
            Add(declared.StatusCode, [.. declared.Codes]);
        }

        if (path.StartsWith("/api/", StringComparison.Ordinal))
        {
            Add(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited);
            Add(StatusCodes.Status503ServiceUnavailable, ProblemCodes.ServiceUnavailable);
        }

        Add(StatusCodes.Status500InternalServerError, ProblemCodes.InternalError);

        operation.Responses ??= [];
        foreach (var (status, codes) in problems)
        {
            operation.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = ProblemResponse(document, status, codes);
        }
    }

    internal static bool RequiresAuthorization(IEnumerable<object> metadata) =>
        metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();

    /// <summary>
    /// Route parameters the handler does not bind (<c>{org}</c>, which authorization resolves) are missing from the
    /// generated operation; every one is declared, in path order, with a description.
    /// </summary>
    private static void DeclarePathParameters(OpenApiOperation operation, string path)
    {
        var parameters = operation.Parameters ??= [];
        var names = RouteParameter().Matches(path).Select(m => m.Groups[1].Value).ToList();
        foreach (var name in names)
        {
            var parameter = parameters.OfType<OpenApiParameter>().FirstOrDefault(p => p.In == ParameterLocation.Path && p.Name == name);
            if (parameter is null)
            {
                parameter = new OpenApiParameter { Name = name, In = ParameterLocation.Path, Required = true, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
                parameters.Add(parameter);
            }

            parameter.Description ??= PathParameterDescription(name, path);
        }

        var ordered = parameters.OrderBy(p => p.In == ParameterLocation.Path ? names.IndexOf(p.Name ?? "") : names.Count).ToList();
        parameters.Clear();
        foreach (var parameter in ordered)
        {
            parameters.Add(parameter);
        }
    }

    private static string PathParameterDescription(string name, string path) => name switch
    {
        "org" => "The organization's slug or id.",
        "userId" => "The member's user id.",
        "sessionId" => "The session's (lease's) id.",
        "token" => "The invitation token (`cdi_...`) from the answer that created it.",
        "task" => "The task's id or its reference (`KEY-42`, any key the project ever had).",
        "dependsOn" => "The id or reference of the task depended on.",
        "version" => "The plan version's number, from 1.",
        "listId" => "The task list's id.",
        "id" => path[..path.IndexOf("/{id}", StringComparison.Ordinal)].Split('/')[^1] switch
        {
            "licenses" => "The licence's id.",
            "invitations" => "The invitation's id.",
            "api-keys" => "The API key's id.",
            "organizations" => "The organization's id.",
            var other => $"The id of the {other} item.",
        },
        _ => $"The {name}.",
    };

    private static void DeclareQueryParameters(OpenApiOperation operation, IEnumerable<QueryParameter> declared)
    {
        var parameters = operation.Parameters ??= [];
        foreach (var query in declared)
        {
            var schema = new OpenApiSchema
            {
                Type = query.Type,
                Format = query.Format,
                Minimum = query.Minimum?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Maximum = query.Maximum?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                MaxLength = query.MaxLength,
                Default = query.Default?.DeepClone(),
            };
            if (query.Values is { } values)
            {
                schema.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
            }

            parameters.Add(new OpenApiParameter { Name = query.Name, In = ParameterLocation.Query, Description = query.Description, Schema = schema });
        }
    }

    /// <summary>
    /// A handler that reads its body as a <see cref="System.Text.Json.JsonElement"/> (to tell an absent member from a
    /// null one) declares what it accepts with <c>.Accepts&lt;T&gt;("application/json")</c>; the document shows T.
    /// </summary>
    private static async Task DocumentAcceptedBodyAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var accepts = context.Description.ActionDescriptor.EndpointMetadata.OfType<IAcceptsMetadata>().LastOrDefault();
        var bound = context.Description.ParameterDescriptions.FirstOrDefault(p => p.Source == BindingSource.Body)?.Type;
        if (accepts?.RequestType is not { } type || bound is null || type == bound || operation.RequestBody?.Content is not { } content)
        {
            return;
        }

        var document = context.Document!;
        document.Components ??= new OpenApiComponents();
        var schemas = document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        if (!schemas.ContainsKey(type.Name))
        {
            schemas[type.Name] = await context.GetOrCreateSchemaAsync(type, null, ct);
        }

        foreach (var media in content.Values.OfType<OpenApiMediaType>())
        {
            media.Schema = new OpenApiSchemaReference(type.Name, document);
        }
    }

    private static OpenApiResponse ProblemResponse(OpenApiDocument document, int status, List<string> codes)
    {
        var lines = codes.Select(c => $"- `{c}`: {ProblemMeanings.GetValueOrDefault(c, "see docs/api.md")}");
        var response = new OpenApiResponse
        {
            Description = $"{ReasonPhrases.GetReasonPhrase(status)}. Problem details with `code`:\n{string.Join("\n", lines)}",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [ProblemJson] = new OpenApiMediaType
                {
                    Schema = new OpenApiSchema
                    {
                        AllOf =
                        [
                            new OpenApiSchemaReference(ProblemSchemaName, document),
                            new OpenApiSchema
                            {
                                Type = JsonSchemaType.Object,
                                Properties = new Dictionary<string, IOpenApiSchema>
                                {
                                    ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. codes.Select(c => (JsonNode)JsonValue.Create(c))] },
                                },
                            },
                        ],
                    },
                },
            },
            Extensions = new Dictionary<string, IOpenApiExtension>
            {
                [ProblemCodesExtension] = new JsonNodeExtension(new JsonArray([.. codes.Select(c => (JsonNode)JsonValue.Create(c))])),
            },
        };
        if (status is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable)
        {
            response.Headers = new Dictionary<string, IOpenApiHeader>
            {
                ["Retry-After"] = new OpenApiHeader
                {
                    Description = "Seconds to wait before retrying.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1" },
                },
            };
        }

        return response;
    }

    private static Task TransformDocumentAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info = new OpenApiInfo
        {
            Title = "CODITECT API",
            Version = "v1",
            Description = "Multi-tenant licensing: organizations, members, API keys, audit, licences and the lease protocol. "
                + "JSON bodies are snake_case; errors are RFC 9457 problem details (`application/problem+json`) with a stable "
                + "`code`; lists take `page` and `page_size`. Conventions, limits and every code: docs/api.md.",
        };
        // Relative: the document describes the server that serves it, wherever that is reached from.
        document.Servers = [new OpenApiServer { Url = "/" }];

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SecuritySchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "`Authorization: Bearer <credential>`: an access token (a JWT from register, login or refresh) "
                + "or an API key (`cdk_...`).",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchemaName] = ProblemSchema();

        foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
        {
            if (tag.Name is { } name && TagDescriptions.TryGetValue(name, out var text))
            {
                tag.Description = text;
            }
        }

        return Task.CompletedTask;
    }

    private static OpenApiSchema ProblemSchema()
    {
        static OpenApiSchema Text(string description, string? format = null) =>
            new() { Type = JsonSchemaType.String, Format = format, Description = description };

        return new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "An RFC 9457 problem details answer. `code` is stable and machine-readable; `title` and `detail` "
                + "are for people and may change. Some answers add members (`retry_after_seconds`, `seats_total`, `seats_used`).",
            Required = new HashSet<string> { "type", "title", "status", "code", "request_id" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = Text("A URI for the status, e.g. `https://httpstatuses.io/404`.", "uri-reference"),
                ["title"] = Text("A short, human-readable summary."),
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status code." },
                ["detail"] = Text("More about this occurrence, for people."),
                ["code"] = Text("The stable, machine-readable problem code."),
                ["request_id"] = Text("The request id (`X-Request-Id`); quote it when reporting a problem."),
                ["trace_id"] = Text("The W3C trace id of the request."),
                ["field"] = Text("The wire name of the field at fault, for some conflicts and unreadable bodies."),
                ["errors"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = "Validation messages by snake_case field name.",
                    AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
                },
                ["retry_after_seconds"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "429: seconds until the window resets." },
                ["seats_total"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "`NO_SEATS_AVAILABLE`: the licence's seats." },
                ["seats_used"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "`NO_SEATS_AVAILABLE`: seats holding a live lease." },
            },
        };
    }
}

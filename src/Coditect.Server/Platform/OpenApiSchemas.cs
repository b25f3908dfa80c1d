using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Coditect.Contracts.Audit;
using Coditect.Contracts.Identity;
using Coditect.Contracts.Licensing;
using Coditect.Contracts.Notifications;
using Coditect.Contracts.Organizations;
using Coditect.Server.Licensing;
using Coditect.Server.Licensing.Admin;
using Coditect.Server.Organizations;
using Coditect.Server.Signing;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Coditect.Server.Platform;

/// <summary>
/// What request bodies accept and what some answers contain, for the OpenAPI document. The contracts are plain records
/// shared with the netstandard2.0 SDK and the handlers validate by hand (<see cref="Validator"/>), so the rules are
/// stated here, by type and wire name, next to nothing else: keep them in step with the handlers. A request type
/// missing from <see cref="Requests"/> fails OpenApiContractTests.
/// </summary>
internal static partial class OpenApiSchemas
{
    /// <summary>One member of a request: whether it must be sent, whether null is accepted, and its limits.</summary>
    private sealed record Member(bool Required, bool Nullable)
    {
        public int? MinLength { get; init; }
        public int? MaxLength { get; init; }
        public string? Format { get; init; }
        public string? Pattern { get; init; }
        public IReadOnlyList<string>? Values { get; init; }
        public long? Minimum { get; init; }
        public long? Maximum { get; init; }
        public int? MaxItems { get; init; }
        public string? ItemPattern { get; init; }
        public string? Description { get; init; }
    }

    /// <summary>Must be sent, and not null.</summary>
    private static readonly Member Required = new(Required: true, Nullable: false);

    /// <summary>May be left out; when sent, not null.</summary>
    private static readonly Member Optional = new(Required: false, Nullable: false);

    /// <summary>May be left out or null.</summary>
    private static readonly Member OptionalOrNull = new(Required: false, Nullable: true);

    private static readonly string[] RoleNames = [.. Enum.GetValues<Role>().Select(r => r.ToWire())];

    private static Member Text(Member member, int max) => member with { MinLength = 1, MaxLength = max };

    private static Member Email(Member member) => member with { Format = "email", MaxLength = 254, Description = "Compared case-insensitively." };

    private static Member RoleOf(Member member) => member with { Values = RoleNames };

    private static Member Slug(Member member) => member with
    {
        MinLength = 3,
        MaxLength = 63,
        Pattern = Slugs.Pattern,
        Description = "Lower-case letters, digits and single hyphens, not shaped like a UUID (trimmed and lower-cased first).",
    };

    private static Member Seats(Member member) => member with { Minimum = 1, Maximum = License.MaxSeats };

    private static Member Entitlements(Member member) => member with
    {
        MaxItems = LicenseInput.MaxEntitlements,
        ItemPattern = LicenseInput.EntitlementPattern,
        Description = "Feature names the licence grants; duplicates are dropped.",
    };

    private static Member EventTypes(Member member) => member with
    {
        MaxItems = 100,
        ItemPattern = @"^[a-z_]+\.([a-z_]+|\*)$",
        Description = "Event types (GET /api/v1/webhooks/event-types) or object.* ; empty or left out: every type.",
    };

    private static Member Metadata(Member member) => member with
    {
        Description = $"Free-form JSON object for the vendor, at most {LicenseInput.MaxMetadataBytes} bytes serialized.",
    };

    private static readonly Dictionary<Type, Dictionary<string, Member>> Requests = new()
    {
        [typeof(RegisterRequest)] = new()
        {
            ["email"] = Email(Required),
            ["password"] = Required with { MinLength = 10, MaxLength = 200, Description = "At least 5 different characters." },
            ["name"] = Text(Required, 200),
            ["organization_name"] = Text(OptionalOrNull, 200) with { Description = "The new organization the user will own; required unless `invitation_token` is given." },
            ["invitation_token"] = Text(OptionalOrNull, 200) with
            {
                Description = "Instead of `organization_name`: an invitation's token (`cdi_...`). The user joins its organization with "
                    + "the invited role and `email` must be the invited address.",
            },
        },
        [typeof(LoginRequest)] = new()
        {
            ["email"] = Text(Required, 254),
            ["password"] = Required with { MinLength = 1 },
        },
        [typeof(RefreshRequest)] = new()
        {
            ["refresh_token"] = Required with { MinLength = 1, MaxLength = 200, Description = "A refresh token (`cdr_...`)." },
        },
        [typeof(EmailRequest)] = new() { ["email"] = Email(Required) },
        [typeof(ResetPasswordRequest)] = new()
        {
            ["token"] = Text(Required, 200) with { Description = "The token of the mailed reset link (`cdr_...`)." },
            ["password"] = Required with { MinLength = 10, MaxLength = 200, Description = "The new password. At least 5 different characters." },
        },
        [typeof(VerifyEmailRequest)] = new()
        {
            ["token"] = Text(Required, 200) with { Description = "The token of the mailed confirmation link (`cdv_...`)." },
        },
        [typeof(UpdateEmailPreferencesRequest)] = new()
        {
            ["muted"] = Required with
            {
                MaxItems = 20,
                ItemPattern = "^(" + string.Join("|", Coditect.Server.Notifications.Email.MailKinds.Optional.Keys) + ")$",
                Description = "The notification kinds to turn off; every kind not listed is on. Security mail cannot be turned off.",
            },
        },
        [typeof(CreateOrganizationRequest)] = new()
        {
            ["name"] = Text(Required, 200),
            ["slug"] = Slug(OptionalOrNull) with { Description = "Made from the name when left out. " + Slug(OptionalOrNull).Description },
        },
        [typeof(UpdateOrganizationRequest)] = new()
        {
            ["name"] = Text(OptionalOrNull, 200) with { Description = "Left out or null: unchanged." },
            ["slug"] = Slug(OptionalOrNull) with { Description = "Left out or null: unchanged. " + Slug(OptionalOrNull).Description },
        },
        [typeof(UpdateMemberRequest)] = new() { ["role"] = RoleOf(Required) },
        [typeof(CreateInvitationRequest)] = new()
        {
            ["email"] = Email(Required),
            ["role"] = RoleOf(Required) with { Description = "Inviting an owner needs the owner role." },
        },
        [typeof(CreateApiKeyRequest)] = new()
        {
            ["name"] = Text(Required, 100),
            ["role"] = RoleOf(Required) with { Description = "No stronger than the creator's role." },
        },
        [typeof(CreateLicenseRequest)] = new()
        {
            ["name"] = Text(Required, 200),
            ["seats_total"] = Seats(Required),
            ["expires_at"] = OptionalOrNull with { Description = "In the future; left out or null: perpetual." },
            ["entitlements"] = Entitlements(OptionalOrNull),
            ["metadata"] = Metadata(OptionalOrNull),
            ["type"] = OptionalOrNull with { Values = [LicenseTypes.Floating, LicenseTypes.NodeLocked], Description = "floating (default) or node_locked: seats_total is then the machine cap." },
            ["borrow_max_hours"] = OptionalOrNull with { Minimum = 0, Maximum = 8784, Description = "Hours a seat may be borrowed for offline work; left out, null or 0: off." },
        },
        [typeof(UpdateLicenseRequest)] = new()
        {
            ["name"] = Text(Optional, 200),
            ["seats_total"] = Seats(Optional) with { Description = "Lowering it below the seats in use keeps live sessions." },
            ["expires_at"] = OptionalOrNull with { Description = "In the future; null makes the licence perpetual." },
            ["entitlements"] = Entitlements(OptionalOrNull) with { Description = "Replaces the list; null empties it." },
            ["metadata"] = Metadata(OptionalOrNull) with { Description = "Replaces the object; null empties it." },
            ["type"] = Optional with { Values = [LicenseTypes.Floating, LicenseTypes.NodeLocked], Description = "Changing it keeps the leases or machines the licence has; the other kind is refused from then on." },
            ["borrow_max_hours"] = OptionalOrNull with { Minimum = 0, Maximum = 8784, Description = "Hours a seat may be borrowed for offline work; 0 or null: off. Seats already borrowed keep their time." },
        },
        [typeof(CreateWebhookRequest)] = new()
        {
            ["url"] = Text(Required, 2000) with { Format = "uri", Description = "https; loopback, private and link-local addresses are refused unless Webhooks:AllowPrivateNetworks." },
            ["description"] = OptionalOrNull with { MaxLength = 500 },
            ["event_types"] = EventTypes(OptionalOrNull),
            ["enabled"] = OptionalOrNull with { Description = "Default true." },
        },
        [typeof(UpdateWebhookRequest)] = new()
        {
            ["url"] = Text(OptionalOrNull, 2000) with { Format = "uri" },
            ["description"] = OptionalOrNull with { MaxLength = 500 },
            ["event_types"] = EventTypes(OptionalOrNull) with { Description = "Replaces the list; empty: every event type." },
            ["enabled"] = OptionalOrNull with { Description = "true turns an endpoint the server turned off back on." },
        },
        [typeof(RenewLicenseRequest)] = new()
        {
            ["expires_at"] = Required with { Description = "The new expiry, in the future." },
        },
        [typeof(Contracts.Billing.CheckoutRequest)] = new()
        {
            ["plan"] = Required with { MaxLength = 32, Description = "A plan with a Stripe price (`Billing:Stripe:Prices:{plan}`)." },
            ["seats"] = OptionalOrNull with { Minimum = 1, Maximum = 1_000_000, Description = "The subscription's quantity: the product licence's seats. Default 1." },
        },
        [typeof(Contracts.Billing.SetPlanRequest)] = new()
        {
            ["plan"] = OptionalOrNull with { MaxLength = 32, Description = "A plan (free, pro, enterprise or one from `Plans:*`); null or left out: the default plan." },
            ["period_end"] = OptionalOrNull with { Description = "When the plan ends, in the future; null or left out: no end." },
            ["seats"] = OptionalOrNull with { Minimum = 0, Maximum = 1_000_000, Description = "The product licence's seats; left out: unchanged (at least 1)." },
        },
        [typeof(AcquireRequest)] = new()
        {
            ["license_key"] = Text(Required, 64),
            ["hardware_id"] = Text(Required, 256) with { Description = "Identifies the machine; one live lease per licence and machine." },
            ["user_email"] = Email(OptionalOrNull),
            ["client"] = OptionalOrNull,
            ["wait"] = OptionalOrNull with { Description = "When every seat is taken, join the licence's queue: 202 with a ticket instead of 409." },
            ["ticket"] = OptionalOrNull with
            {
                Pattern = "^qt_[A-Za-z0-9_-]{22}$", Description = "Claim the seat offered to this queue ticket (same licence key and hardware id).",
            },
        },
        [typeof(BorrowRequest)] = new()
        {
            ["license_key"] = Text(Required, 64),
            ["hardware_id"] = Text(Required, 256) with { Description = "Identifies the machine; one live lease per licence and machine." },
            ["hours"] = Required with { Minimum = 1, Maximum = 8784, Description = "How long to hold the seat without heartbeats; at most the licence's `borrow_max_hours`." },
            ["user_email"] = Email(OptionalOrNull),
            ["client"] = OptionalOrNull,
        },
        [typeof(ClientInfo)] = new()
        {
            ["hostname"] = OptionalOrNull with { MaxLength = 200 },
            ["app_version"] = OptionalOrNull with { MaxLength = 100 },
            ["os"] = OptionalOrNull with { MaxLength = 100 },
        },
        [typeof(HeartbeatRequest)] = new()
        {
            ["license_key"] = Text(Required, 64),
            ["session_id"] = Required with { Description = "From the acquire answer." },
        },
        [typeof(ReleaseRequest)] = new()
        {
            ["license_key"] = Text(Required, 64),
            ["session_id"] = Required with { Description = "From the acquire answer." },
        },
        [typeof(ValidateRequest)] = new()
        {
            ["license_key"] = Text(Required, 64),
            ["hardware_id"] = Text(OptionalOrNull, 256) with { Description = "Also tell whether this machine holds a live lease (or, node-locked, is activated)." },
        },
        [typeof(ActivateRequest)] = new()
        {
            ["license_key"] = Text(Required, 64),
            ["hardware_id"] = Text(Required, 256) with { Description = "Identifies the machine; the same one again is idempotent." },
            ["name"] = OptionalOrNull with { MaxLength = 200 },
            ["platform"] = OptionalOrNull with { MaxLength = 100 },
        },
        [typeof(DeactivateRequest)] = new()
        {
            ["license_key"] = Text(Required, 64),
            ["hardware_id"] = Text(Required, 256),
        },
        [typeof(LicenseFileRequest)] = new()
        {
            ["hardware_id"] = Text(OptionalOrNull, 256) with { Description = "Binds the file to this machine; left out: the licence as a whole." },
        },
        [typeof(RotateSigningKeyRequest)] = new()
        {
            ["algorithm"] = OptionalOrNull with { Values = [.. TokenAlgorithm.All.Select(a => a.Name)], Description = "Left out: Signing:LeaseTokenAlgorithm." },
        },
    };

    /// <summary>String members of answers that take one of a few values.</summary>
    private static readonly Dictionary<(Type, string), string[]> AnswerValues = new()
    {
        [(typeof(MyOrganization), "role")] = RoleNames,
        [(typeof(OrganizationResponse), "role")] = RoleNames,
        [(typeof(MemberResponse), "role")] = RoleNames,
        [(typeof(InvitationResponse), "role")] = RoleNames,
        [(typeof(ApiKeyResponse), "role")] = RoleNames,
        [(typeof(TokenResponse), "token_type")] = ["Bearer"],
        [(typeof(LicenseResponse), "status")] = [LicenseStatuses.Active, LicenseStatuses.Suspended, LicenseStatuses.Expired],
        [(typeof(LicenseResponse), "type")] = [LicenseTypes.Floating, LicenseTypes.NodeLocked],
        [(typeof(ValidatedLicense), "status")] = [LicenseStatuses.Active, LicenseStatuses.Suspended, LicenseStatuses.Expired],
        [(typeof(SessionResponse), "status")] = [SessionStatuses.Active, SessionStatuses.Expired, SessionStatuses.Released, SessionStatuses.Kicked],
        [(typeof(ValidateResponse), "code")] =
        [
            ValidationCodes.Valid, ValidationCodes.NotFound, ValidationCodes.OrganizationSuspended, ValidationCodes.Suspended, ValidationCodes.Expired,
            ValidationCodes.HeartbeatDead, ValidationCodes.NoSession, ValidationCodes.NotActivated,
        ],
        [(typeof(AuditActor), "type")] = ["user", "api_key", "system"],
        [(typeof(UsageResponse), "bucket")] = ["hour", "day"],
    };

    /// <summary>The request types whose members are described here.</summary>
    internal static IReadOnlyCollection<Type> RequestTypes => [.. Requests.Keys, .. DevContextRequests.Keys, .. WorkSessionRequests.Keys];

    private static bool TryMembers(Type type, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Dictionary<string, Member>? members) =>
        Requests.TryGetValue(type, out members) || DevContextRequests.TryGetValue(type, out members)
        || WorkSessionRequests.TryGetValue(type, out members);

    public static Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        NumbersAreNumbers(schema);
        if (context.JsonPropertyInfo is not { } property)
        {
            if (TryMembers(context.JsonTypeInfo.Type, out var members))
            {
                schema.Required = new HashSet<string>(members.Where(m => m.Value.Required).Select(m => m.Key), StringComparer.Ordinal);
            }

            WireNamesInDescription(schema, context.JsonTypeInfo);
            return Task.CompletedTask;
        }

        // Complex members become references to their own schema; only their presence (Required above) is stated here.
        if (context.JsonTypeInfo.Kind == JsonTypeInfoKind.Object)
        {
            return Task.CompletedTask;
        }

        if (TryMembers(property.DeclaringType, out var declared) && declared.TryGetValue(property.Name, out var member))
        {
            Apply(schema, member);
        }
        else if (AnswerValues.TryGetValue((property.DeclaringType, property.Name), out var values)
            || DevContextAnswerValues.TryGetValue((property.DeclaringType, property.Name), out values)
            || WorkSessionAnswerValues.TryGetValue((property.DeclaringType, property.Name), out values))
        {
            schema.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// The web serializer defaults read numbers from strings too, so the generator writes <c>["integer","string"]</c>
    /// with a digits pattern; the API writes numbers and documents numbers.
    /// </summary>
    private static void NumbersAreNumbers(OpenApiSchema schema)
    {
        if (schema.Type is { } type && type.HasFlag(JsonSchemaType.String)
            && (type.HasFlag(JsonSchemaType.Integer) || type.HasFlag(JsonSchemaType.Number)))
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }
    }

    private static void Apply(OpenApiSchema schema, Member member)
    {
        if (schema.Type is { } type)
        {
            schema.Type = member.Nullable ? type | JsonSchemaType.Null : type & ~JsonSchemaType.Null;
        }

        schema.MinLength = member.MinLength ?? schema.MinLength;
        schema.MaxLength = member.MaxLength ?? schema.MaxLength;
        schema.Format = member.Format ?? schema.Format;
        schema.Pattern = member.Pattern ?? schema.Pattern;
        schema.Minimum = member.Minimum?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? schema.Minimum;
        schema.Maximum = member.Maximum?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? schema.Maximum;
        schema.MaxItems = member.MaxItems ?? schema.MaxItems;
        schema.Description = member.Description ?? schema.Description;
        if (member.Values is { } values)
        {
            schema.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
        }

        if (member.ItemPattern is { } pattern && schema.Items is OpenApiSchema items)
        {
            items.Pattern = pattern;
        }
    }

    /// <summary>XML docs name members as in C# (<c>`LicenseKey`</c>); the document's readers see wire names.</summary>
    private static void WireNamesInDescription(OpenApiSchema schema, JsonTypeInfo type)
    {
        if (schema.Description is not { } description)
        {
            return;
        }

        foreach (var property in type.Properties)
        {
            if (property.AttributeProvider is MemberInfo member)
            {
                description = description.Replace($"`{member.Name}`", $"`{property.Name}`", StringComparison.Ordinal);
            }
        }

        schema.Description = description;
    }
}

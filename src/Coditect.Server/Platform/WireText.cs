using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.Metadata;

namespace Coditect.Server.Platform;

/// <summary>
/// The text rules every client string obeys, checked once before any endpoint runs, so that no provider ever sees a
/// NUL (PostgreSQL refuses it with an error, SQLite stores it) and a bad character is a 400 <c>VALIDATION_FAILED</c>
/// naming the field, never a 500. Short fields (names, slugs, e-mails, keys, hardware ids, hostnames, filters, every
/// query and route value) refuse every C0 control character (U+0000 to U+001F); long text refuses only NUL. Unpaired
/// surrogates (sent as <c>\ud800</c> escapes) and invalid UTF-8 are refused everywhere.
/// </summary>
/// <remarks>
/// The body is checked on its raw JSON, not through a string converter: a converter would also have to cover
/// <see cref="JsonElement"/> bodies and metadata, and the OpenAPI generator describes a type with a custom converter
/// as "anything", which would strip the type from every string in /openapi/v1.json.
/// </remarks>
public static partial class WireText
{
    /// <summary>The most characters a query or route value may have; every one of them is a short field.</summary>
    public const int MaxParameterLength = 256;

    /// <summary>
    /// Body fields (wire paths; <c>.*</c> is everything under a field) that are long text. A password is only hashed,
    /// never stored or shown, so any text but NUL may be one; licence metadata is free-form JSON.
    /// </summary>
    private static readonly string[] LongText = ["password", "metadata.*"];

    private const string Controls = "must not contain control characters.";
    private const string Nul = "must not contain the NUL character (U+0000).";
    private const string NotUnicode = "is not valid Unicode text (an unpaired surrogate or invalid UTF-8).";

    /// <summary>What is wrong with <paramref name="text"/> as a short field (or, with <paramref name="longText"/>, as long text); null when nothing is.</summary>
    public static string? Problem(ReadOnlySpan<char> text, bool longText = false)
    {
        var control = text.IndexOfAnyInRange('\u0000', '\u001F');
        if (control >= 0 && (!longText || text[control..].Contains('\0')))
        {
            return longText ? Nul : Controls;
        }

        var surrogate = text.IndexOfAnyInRange('\uD800', '\uDFFF');
        for (var i = surrogate < 0 ? text.Length : surrogate; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return NotUnicode;
            }
        }

        return null;
    }

    /// <summary>
    /// Refuses a bad route value, query value or JSON body string with 400 <c>VALIDATION_FAILED</c> naming it (route
    /// values by their snake_case name). Runs after authorization, so an anonymous caller still gets 401 first.
    /// </summary>
    public static IApplicationBuilder UseWireText(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var errors = new Validator();
        if (AcceptsJsonBody(http))
        {
            await CheckBodyAsync(http, errors, http.GetEndpoint()?.Metadata.GetMetadata<LongTextMetadata>()?.Fields ?? []);
        }

        if (!errors.IsValid)
        {
            await Problems.Validation(errors).ExecuteAsync(http);
            return;
        }

        await next(http);
    });

    /// <summary>
    /// The route and query half of the guard, before authorization: the permission handler resolves <c>{org}</c> from
    /// the route, so a bad value must be refused (400, named) before it is looked up. A caller the endpoint would
    /// challenge still gets its 401 first: the check waits for authorization then.
    /// </summary>
    public static IApplicationBuilder UseWireTextParameters(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var endpoint = http.GetEndpoint();
        var challenged = http.User.Identity?.IsAuthenticated != true
            && endpoint?.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>() is not null
            && endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is null;
        var errors = new Validator();
        if (!challenged)
        {
            CheckParameters(http.Request, errors);
        }

        if (!errors.IsValid)
        {
            await Problems.Validation(errors).ExecuteAsync(http);
            return;
        }

        await next(http);
    });

    private static void CheckParameters(HttpRequest request, Validator errors)
    {
        foreach (var (name, value) in request.RouteValues)
        {
            if (value is string text)
            {
                CheckParameter(PlatformExtensions.WireNaming.ConvertName(name), text, errors);
            }
        }

        foreach (var (name, values) in request.Query)
        {
            foreach (var text in values)
            {
                CheckParameter(name, text, errors);
            }
        }
    }

    private static void CheckParameter(string field, string? text, Validator errors)
    {
        if (text is null)
        {
            return;
        }

        if (Problem(text) is { } problem)
        {
            errors.Add(field, problem);
        }
        else if (text.Length > MaxParameterLength)
        {
            errors.Add(field, $"must be at most {MaxParameterLength} characters.");
        }
    }

    /// <summary>Only bodies an endpoint will read as JSON; anything else is left to the binder (415, or ignored).</summary>
    private static bool AcceptsJsonBody(HttpContext http) =>
        http.Request.ContentLength is not 0
        && http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true
        && http.Request.HasJsonContentType()
        && http.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is { } accepts
        && accepts.ContentTypes.Any(type => type.Contains("json", StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads the body (Kestrel's size limit still applies), checks it, and hands the same bytes to the binder.</summary>
    private static async Task CheckBodyAsync(HttpContext http, Validator errors, IReadOnlyList<string> longText)
    {
        var request = http.Request;
        var body = new MemoryStream(request.ContentLength is > 0 and <= int.MaxValue ? (int)request.ContentLength.Value : 256);
        await request.Body.CopyToAsync(body, http.RequestAborted);
        var json = new ReadOnlySpan<byte>(body.GetBuffer(), 0, (int)body.Length);
        if (FindProblem(json, longText) is { } problem)
        {
            errors.Add(problem.Field, problem.Message);
        }

        body.Position = 0;
        request.Body = body;
        http.Response.RegisterForDispose(body);
    }

    /// <summary>
    /// The first bad string (value or member name) or repeated member name in <paramref name="json"/>, with its wire
    /// path (<c>client.hostname</c>, <c>entitlements[0]</c>); null when there is none or the body is not JSON (the
    /// binder answers that as <c>MALFORMED_REQUEST</c>).
    /// </summary>
    public static (string Field, string Message)? FindProblem(ReadOnlySpan<byte> json, IReadOnlyList<string>? longText = null)
    {
        longText ??= [];
        var reader = new Utf8JsonReader(json);
        var path = new List<Segment>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        NextItem(path);
                        path.Add(new Segment(reader.TokenType == JsonTokenType.StartArray));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        path.RemoveAt(path.Count - 1);
                        break;
                    case JsonTokenType.PropertyName:
                        var member = path[^1];
                        if (ReadText(ref reader) is not { } name || Problem(name) is not null)
                        {
                            return (FieldOf(path, path.Count - 1), "has a member name with control characters or invalid Unicode.");
                        }

                        member.Name = name;
                        if (!(member.Seen ??= new HashSet<string>(StringComparer.Ordinal)).Add(name))
                        {
                            return (FieldOf(path, path.Count), "appears more than once.");
                        }

                        break;
                    case JsonTokenType.String:
                        NextItem(path);
                        if (reader.ValueIsEscaped || !Utf8.IsValid(reader.ValueSpan))
                        {
                            var field = FieldOf(path, path.Count);
                            if (ReadText(ref reader) is not { } text)
                            {
                                return (field, NotUnicode);
                            }

                            if (Problem(text, IsLongText(field) || IsLongText(field, longText)) is { } problem)
                            {
                                return (field, problem);
                            }
                        }

                        break;
                    default:
                        NextItem(path);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }

        return null;
    }

    /// <summary>The string, or null when it holds an unpaired surrogate escape or invalid UTF-8.</summary>
    private static string? ReadText(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static void NextItem(List<Segment> path)
    {
        if (path.Count > 0 && path[^1].IsArray)
        {
            path[^1].Index++;
        }
    }

    private static string FieldOf(List<Segment> path, int depth)
    {
        var field = new System.Text.StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            if (path[i].IsArray)
            {
                field.Append('[').Append(path[i].Index).Append(']');
            }
            else if (path[i].Name is { } name)
            {
                field.Append(field.Length == 0 ? "" : ".").Append(name);
            }
        }

        return field.Length == 0 ? "body" : field.ToString();
    }

    private static bool IsLongText(string field) => LongText.Any(pattern => pattern.EndsWith(".*", StringComparison.Ordinal)
        ? field.StartsWith(pattern[..^1], StringComparison.Ordinal) || field.StartsWith(pattern[..^2] + "[", StringComparison.Ordinal)
        : field == pattern);

    /// <summary>
    /// True when <paramref name="field"/> is one of an endpoint's long-text <paramref name="patterns"/>, where
    /// <c>[]</c> stands for any index: <c>commits[].message</c> matches <c>commits[7].message</c>.
    /// </summary>
    private static bool IsLongText(string field, IReadOnlyList<string> patterns)
    {
        if (patterns.Count == 0)
        {
            return false;
        }

        var general = AnyIndex().Replace(field, "[]");
        return patterns.Any(p => p == general);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\[\d+\]")]
    private static partial System.Text.RegularExpressions.Regex AnyIndex();

    private sealed class Segment(bool isArray)
    {
        public bool IsArray { get; } = isArray;
        public int Index { get; set; } = -1;
        public string? Name { get; set; }
        public HashSet<string>? Seen { get; set; }
    }
}

/// <summary>
/// Body fields of one endpoint that are long text (descriptions, plans, markdown, commit messages): TAB, LF, CR and
/// other C0 characters are content there, only NUL is refused. <c>[]</c> stands for any array index. Declared with
/// <see cref="LongTextFields.WithLongText{TBuilder}"/> and shown in the OpenAPI document as <c>x-long-text</c>.
/// </summary>
public sealed record LongTextMetadata(IReadOnlyList<string> Fields);

public static class LongTextFields
{
    public const string Extension = "x-long-text";

    public static TBuilder WithLongText<TBuilder>(this TBuilder builder, params string[] fields) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new LongTextMetadata(fields));
}

using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Coditect.Server.Platform;

/// <summary>
/// An error answer an endpoint gives besides the ones every endpoint of its kind gives (those
/// <see cref="OpenApiContract"/> derives): <c>.ProducesProblems(404, ProblemCodes.LicenseNotFound)</c>.
/// </summary>
public sealed record ProblemCodesMetadata(int StatusCode, IReadOnlyList<string> Codes);

/// <summary>
/// A query parameter a handler reads from <c>HttpRequest.Query</c> itself (lists validate paging and filters by hand
/// so that errors are the usual 400 <c>VALIDATION_FAILED</c>), declared for the OpenAPI document.
/// </summary>
public sealed record QueryParameter(string Name, string Description)
{
    public JsonSchemaType Type { get; init; } = JsonSchemaType.String;
    public string? Format { get; init; }
    public int? Minimum { get; init; }
    public int? Maximum { get; init; }
    public int? MaxLength { get; init; }
    public IReadOnlyList<string>? Values { get; init; }
    public JsonNode? Default { get; init; }

    public static readonly QueryParameter Page = new("page", "The page to answer, from 1.")
    {
        Type = JsonSchemaType.Integer, Format = "int32", Minimum = 1, Maximum = Paging.MaxPage, Default = 1,
    };

    public static readonly QueryParameter PageSize = new("page_size", "Items per page.")
    {
        Type = JsonSchemaType.Integer, Format = "int32", Minimum = 1, Maximum = Paging.MaxPageSize, Default = Paging.DefaultPageSize,
    };

    public static readonly QueryParameter Cursor = new("cursor", "Where the page starts: the `next_cursor` of the page before. Absent for the first page.")
    {
        MaxLength = WireText.MaxParameterLength,
    };

    public static readonly QueryParameter KeysetPageSize = new("page_size", "Items per page.")
    {
        Type = JsonSchemaType.Integer, Format = "int32", Minimum = 1, Maximum = Keyset.MaxPageSize, Default = Keyset.DefaultPageSize,
    };

    /// <summary>A string; empty or absent means no filter.</summary>
    public static QueryParameter Text(string name, string description, int? maxLength = null) =>
        new(name, description) { MaxLength = maxLength };

    public static QueryParameter OneOf(string name, string description, params string[] values) =>
        new(name, description) { Values = values };

    /// <summary>An RFC 3339 time.</summary>
    public static QueryParameter Time(string name, string description) => new(name, description) { Format = "date-time" };
}

/// <summary>What endpoints declare for the OpenAPI document beyond what <see cref="OpenApiContract"/> derives.</summary>
public static class OpenApiMetadata
{
    /// <summary>Declares error answers the endpoint gives besides the derived ones (see <see cref="OpenApiContract"/>).</summary>
    public static TBuilder ProducesProblems<TBuilder>(this TBuilder builder, int statusCode, params string[] codes)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ProblemCodesMetadata(statusCode, codes));

    /// <summary>Declares query parameters the handler reads itself; an endpoint with any may answer 400 VALIDATION_FAILED.</summary>
    public static TBuilder WithQuery<TBuilder>(this TBuilder builder, params QueryParameter[] parameters)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata([.. parameters]);

    /// <summary>
    /// Declares a keyset-paged list's <c>cursor</c>, <c>page_size</c> and <c>sort</c> (<see cref="Keyset"/>): one of
    /// <paramref name="sorts"/>, <c>-</c> in front for descending order.
    /// </summary>
    public static TBuilder WithKeysetPaging<TBuilder>(this TBuilder builder, string defaultSort, params string[] sorts)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithQuery(QueryParameter.Cursor, QueryParameter.KeysetPageSize,
            new QueryParameter("sort", $"The order: a field, `-` in front for descending. Default `{defaultSort}`.")
            {
                Values = [.. sorts.SelectMany(s => new[] { s, "-" + s })],
            });

    /// <summary>Declares <c>page</c> and <c>page_size</c> (<see cref="Paging"/>).</summary>
    public static TBuilder WithPaging<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithQuery(QueryParameter.Page, QueryParameter.PageSize);
}

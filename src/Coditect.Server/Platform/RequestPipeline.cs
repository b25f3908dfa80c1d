using System.Text.RegularExpressions;
using Coditect.Contracts.Common;
using Coditect.Server.Tenancy;

namespace Coditect.Server.Platform;

/// <summary>Small middleware every request passes: request ids, security headers, body size, bodiless error pages.</summary>
public static partial class RequestPipeline
{
    public const string RequestIdHeader = "X-Request-Id";

    /// <summary>
    /// The console's content security policy: everything from this origin, nothing inline (no script or style in the
    /// markup, so no nonce is needed), no framing, forms post only here.
    /// </summary>
    public const string ConsolePolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

    /// <summary>
    /// True for a request to the web console: every path outside the API, the API docs, health, metrics and the published keys.
    /// Console requests get HTML error pages and the console's CSP; the others problem+json and a deny-all CSP.
    /// </summary>
    public static bool IsConsole(HttpRequest request) =>
        !(request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/docs") || request.Path.StartsWithSegments("/openapi")
          || request.Path.StartsWithSegments("/health") || request.Path.StartsWithSegments("/.well-known")
          || request.Path.StartsWithSegments(Telemetry.MetricsEndpoint.Path));

    /// <summary>
    /// Whether an error on this request is answered with a console page rather than a problem document: a console path
    /// asked for by a browser (<c>Accept</c> names <c>text/html</c>) or by htmx. A script that calls a wrong path gets
    /// problem+json, as it would under <c>/api</c>.
    /// </summary>
    public static bool AnswersWithPage(HttpRequest request) =>
        IsConsole(request)
        && (request.Headers.ContainsKey("HX-Request")
            || request.Headers.Accept.Any(value => value is not null && value.Contains("text/html", StringComparison.OrdinalIgnoreCase)));

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex SafeRequestId();

    /// <summary>Takes the caller's <c>X-Request-Id</c> when it is safe to log, or makes one; echoes it and logs under it.</summary>
    public static IApplicationBuilder UseRequestIds(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        string? incoming = http.Request.Headers[RequestIdHeader];
        var id = incoming is not null && SafeRequestId().IsMatch(incoming) ? incoming : Guid.NewGuid().ToString("N");
        http.TraceIdentifier = id;
        http.Response.Headers[RequestIdHeader] = id;
        http.RequestServices.GetRequiredService<TenantContext>().RequestId = id;
        var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Coditect.Requests");
        // A message-template scope prints as "request_id=..." in text logs and as a field in JSON logs.
        using (logger.BeginScope("request_id={CoditectRequestId}", id))
        {
            await next(http);
        }
    });

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        http.Response.OnStarting(() =>
        {
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
            headers.ContentSecurityPolicy = http.Request.Path.StartsWithSegments("/docs")
                ? "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
                : IsConsole(http.Request) ? ConsolePolicy : "default-src 'none'; frame-ancestors 'none'";
            if (http.Request.IsHttps)
            {
                headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
            }

            return Task.CompletedTask;
        });
        return next(http);
    });

    /// <summary>
    /// A GET or HEAD reads only, on the API as in the console: its unit of work is declared so
    /// (<see cref="Tenancy.TenantScope.ReadsOnly"/>) before authorization begins it. On SQLite reads then run side by side
    /// on snapshots instead of queueing for the file's one write lock. An endpoint that writes on a GET (a staff view's
    /// audit event, a queue ticket's poll) calls <c>TenantScope.WritesAfterAllAsync</c> first;
    /// <see cref="Data.ReadOnlyWriteGuard"/> fails any write that forgets to.
    /// </summary>
    public static IApplicationBuilder UseReadOnlyReads(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method))
        {
            http.RequestServices.GetRequiredService<Tenancy.TenantScope>().ReadsOnly();
        }

        return next(http);
    });

    /// <summary>
    /// Refuses a declared body over the limit before reading it (Kestrel enforces the same limit on streamed bodies).
    /// Runs after routing: an endpoint that declares its own limit (<see cref="WithBodyLimit{TBuilder}"/>: commit batches,
    /// plans) gets it instead of <paramref name="maxBytes"/>, for the declared length and for Kestrel's count alike.
    /// </summary>
    public static IApplicationBuilder UseBodyLimit(this IApplicationBuilder app, long maxBytes) => app.Use(async (http, next) =>
    {
        var limit = http.GetEndpoint()?.Metadata.GetMetadata<BodyLimitMetadata>()?.Bytes ?? maxBytes;
        if (http.Request.ContentLength > limit)
        {
            await Problems.Of(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge,
                "The request body is too large.", $"The limit is {limit} bytes.",
                new Dictionary<string, object?> { ["limit"] = limit }).ExecuteAsync(http);
            return;
        }

        if (limit != maxBytes && http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }

        await next(http);
    });

    /// <summary>Gives the endpoint its own body limit in bytes, above or below <c>Api:MaxRequestBodyBytes</c>.</summary>
    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long bytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new BodyLimitMetadata(bytes));

    /// <summary>
    /// Gives bodiless error answers (no such route, wrong method, a body the binder refused) the same problem+json shape
    /// as everything else; a browser on a console path gets the page for that status (<c>/error/{status}</c>, rendered in place).
    /// </summary>
    public static IApplicationBuilder UseProblemStatusPages(this IApplicationBuilder app)
    {
        app.UseWhen(http => AnswersWithPage(http.Request), console => console.UseStatusCodePagesWithReExecute("/error/{0}"));
        return app.UseWhen(http => !AnswersWithPage(http.Request), api => api.UseStatusCodePages(WriteProblemAsync));
    }

    private static async Task WriteProblemAsync(Microsoft.AspNetCore.Diagnostics.StatusCodeContext context)
    {
        var http = context.HttpContext;
        var (code, title) = http.Response.StatusCode switch
        {
            404 => (ProblemCodes.NotFound, "There is nothing at this address."),
            405 => (ProblemCodes.MethodNotAllowed, "This address does not accept that method."),
            401 => (ProblemCodes.Unauthorized, "A valid access token or API key is required."),
            403 => (ProblemCodes.Forbidden, "Your role does not allow this."),
            // A streamed body over Kestrel's limit: the JSON binder answers 413 itself, without a body.
            413 => (ProblemCodes.PayloadTooLarge, "The request body is too large."),
            415 => (ProblemCodes.MalformedRequest, "Send the body as application/json."),
            var other => (ProblemCodes.MalformedRequest, $"The request failed with status {other}."),
        };
        await Problems.Of(http.Response.StatusCode, code, title).ExecuteAsync(http);
    }
}

/// <summary>An endpoint's own request body limit (<see cref="RequestPipeline.WithBodyLimit{TBuilder}"/>).</summary>
public sealed record BodyLimitMetadata(long Bytes);

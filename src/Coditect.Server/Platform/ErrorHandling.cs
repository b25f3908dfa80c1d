using System.Data.Common;
using System.Text.Json;
using Coditect.Contracts.Common;
using Microsoft.AspNetCore.Diagnostics;

namespace Coditect.Server.Platform;

/// <summary>
/// The last line: every exception becomes problem+json without a stack trace or SQL. Bad request bodies are the
/// client's fault (400/413); an unreachable database is 503 so clients and load balancers retry; the rest is 500.
/// </summary>
public sealed class ErrorHandling(ILogger<ErrorHandling> logger) : IExceptionHandler
{
    // An outage fails every request: one line per 10 s says so, with how many it stands for.
    private readonly LogThrottle _unavailable = new(TimeSpan.FromSeconds(10));

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var http = httpContext;
        var problem = exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                Problems.Of(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "The request body is too large."),
            // A body without a Content-Type reaches the binder, which refuses it as 415 (the router refuses a wrong one).
            BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } =>
                Problems.Of(StatusCodes.Status415UnsupportedMediaType, ProblemCodes.MalformedRequest, "Send the body as application/json."),
            BadHttpRequestException bad => Malformed(bad),
            OperationCanceledException when http.RequestAborted.IsCancellationRequested => null,
            _ when exception.GetBaseException() is Npgsql.PostgresException { SqlState: "40P01" or "40001" } =>
                Problems.Of(StatusCodes.Status503ServiceUnavailable, ProblemCodes.ServiceUnavailable,
                    "A concurrent change got in the way; retry shortly."),
            _ when IsDatabaseUnavailable(exception) =>
                Problems.Of(StatusCodes.Status503ServiceUnavailable, ProblemCodes.ServiceUnavailable,
                    "The database is unavailable; retry shortly."),
            _ => null,
        };

        if (problem is null && !http.RequestAborted.IsCancellationRequested)
        {
            logger.LogError(exception, "Unhandled error on {Method} {Path}", http.Request.Method, http.Request.Path);
            problem = Problems.Of(StatusCodes.Status500InternalServerError, ProblemCodes.InternalError,
                "Something went wrong on our side.", $"Quote request id {http.TraceIdentifier} when reporting it.");
        }
        else if (problem?.StatusCode == StatusCodes.Status503ServiceUnavailable)
        {
            if (_unavailable.Count(out var count))
            {
                logger.LogWarning(exception, "Database unavailable ({Count} request(s) answered 503 since the last such line): {Error}",
                    count, exception.GetBaseException().Message);
            }

            http.Response.Headers.RetryAfter = "5";
        }

        if (problem is not null && !http.Response.HasStarted)
        {
            if (RequestPipeline.AnswersWithPage(http.Request))
            {
                await ConsoleErrorPage.WriteAsync(http, problem.StatusCode, problem.ProblemDetails.Title ?? "Something went wrong.");
            }
            else
            {
                await problem.ExecuteAsync(http);
            }
        }

        return true;
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Malformed(BadHttpRequestException bad)
    {
        var json = bad.InnerException as JsonException;
        var field = json?.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : null;
        var extensions = new Dictionary<string, object?>();
        if (field is not null)
        {
            extensions["field"] = field;
            extensions["errors"] = new Dictionary<string, string[]> { [field] = ["has the wrong type or format."] };
        }

        var detail = json is not null
            ? field is null ? "The body is not valid JSON." : $"The field '{field}' has the wrong type or format."
            : bad.Message.Contains("body", StringComparison.OrdinalIgnoreCase)
                ? "A JSON body is required."
                : "A parameter is missing or has the wrong format.";
        return Problems.Of(StatusCodes.Status400BadRequest, ProblemCodes.MalformedRequest, "The request could not be read.", detail, extensions);
    }

    private static bool IsDatabaseUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is Npgsql.NpgsqlException { IsTransient: true } or TimeoutException
                || (e is DbException db && db.InnerException is System.Net.Sockets.SocketException)
                || e is Npgsql.PostgresException { SqlState: "57P01" or "57P02" or "57P03" or "53300" })
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// The console's page for an exception (the status pages render the rest through <c>/error/{status}</c>): plain HTML
/// with the request id, the console's stylesheet and nothing that could fail again.
/// </summary>
internal static class ConsoleErrorPage
{
    public static Task WriteAsync(HttpContext http, int status, string title)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/html; charset=utf-8";
        var encoder = System.Text.Encodings.Web.HtmlEncoder.Default;
        return http.Response.WriteAsync($$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{status}} · CODITECT</title><link rel="stylesheet" href="/console/app.css"></head>
            <body class="bare"><main class="narrow"><h1>{{encoder.Encode(title)}}</h1>
            <p>Quote request id <code>{{encoder.Encode(http.TraceIdentifier)}}</code> when reporting it.</p>
            <p><a href="/">Back to the console</a></p></main></body></html>
            """);
    }
}

using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Coditect.Contracts.Common;

namespace Coditect.Client;

/// <summary>JSON on the wire (snake_case) and the mapping of problem+json answers to typed exceptions.</summary>
internal static class Wire
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static HttpContent Body<T>(T value) =>
        new StringContent(JsonSerializer.Serialize(value, Json), Encoding.UTF8, "application/json");

    /// <summary>Sends a request and reads a JSON answer, turning every failure into a <see cref="CoditectException"/>.</summary>
    public static async Task<T> SendAsync<T>(HttpClient http, HttpRequestMessage request, CancellationToken ct)
    {
        using var response = await SendRawAsync(http, request, ct).ConfigureAwait(false);
        var text = await ReadAsync(response).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize<T>(text, Json)
                ?? throw new JsonException("The answer was JSON null.");
        }
        catch (JsonException e)
        {
            throw new CoditectException("UNEXPECTED_RESPONSE", (int)response.StatusCode,
                $"The server's answer to {request.Method} {request.RequestUri?.AbsolutePath} could not be read: {e.Message}", e);
        }
    }

    /// <summary>Sends a request that answers without a body (204).</summary>
    public static async Task SendAsync(HttpClient http, HttpRequestMessage request, CancellationToken ct)
    {
        using var response = await SendRawAsync(http, request, ct).ConfigureAwait(false);
    }

    /// <summary>Sends a request; a success comes back, anything else is thrown as a typed error.</summary>
    public static async Task<HttpResponseMessage> SendRawAsync(HttpClient http, HttpRequestMessage request, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new CoditectUnavailableException(CoditectUnavailableException.Unreachable, 0,
                $"The server at {request.RequestUri?.GetLeftPart(UriPartial.Authority)} could not be reached: {e.GetBaseException().Message}", e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new CoditectUnavailableException(CoditectUnavailableException.Unreachable, 0,
                $"The server at {request.RequestUri?.GetLeftPart(UriPartial.Authority)} did not answer in time.", e);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            string body;
            try
            {
                body = await ReadAsync(response).ConfigureAwait(false);
            }
            catch (HttpRequestException)
            {
                body = "";
            }

            throw ToException((int)response.StatusCode, body, RetryAfterOf(response.Headers.RetryAfter),
                response.Headers.TryGetValues("X-Request-Id", out var ids) ? ids.FirstOrDefault() : null);
        }
    }

    internal static async Task<string> ReadAsync(HttpResponseMessage response) =>
        response.Content is null ? "" : await response.Content.ReadAsStringAsync().ConfigureAwait(false);

    internal static TimeSpan? RetryAfterOf(RetryConditionHeaderValue? header)
    {
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    /// <summary>Maps an error answer (problem+json with <c>code</c>, or anything else) to its typed exception.</summary>
    internal static CoditectException ToException(int status, string body, TimeSpan? retryAfter, string? requestId)
    {
        string? code = null, title = null, detail = null;
        int seatsTotal = 0, seatsUsed = 0;
        var errors = new Dictionary<string, string[]>();
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                code = String(root, "code");
                title = String(root, "title");
                detail = String(root, "detail");
                seatsTotal = Int(root, "seats_total");
                seatsUsed = Int(root, "seats_used");
                if (root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object)
                {
                    foreach (var field in e.EnumerateObject())
                    {
                        errors[field.Name] = field.Value.ValueKind == JsonValueKind.Array
                            ? [.. field.Value.EnumerateArray().Select(m => m.ToString())]
                            : [field.Value.ToString()];
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not problem+json (a proxy's HTML page, an empty body): the status alone decides.
        }

        code ??= DefaultCode(status);
        var message = title is null ? $"The server answered {status} {code}." : detail is null ? title : $"{title} {detail}";
        if (errors.Count > 0)
        {
            message += " " + string.Join("; ", errors.Select(kv => $"{kv.Key} {string.Join(" ", kv.Value)}"));
        }

        var exception = Create(code, status, message, seatsTotal, seatsUsed);
        exception.RetryAfter = retryAfter;
        exception.RequestId = requestId;
        exception.Errors = errors;
        return exception;
    }

    private static CoditectException Create(string code, int status, string message, int seatsTotal, int seatsUsed) => code switch
    {
        ProblemCodes.NoSeatsAvailable => new NoSeatsAvailableException(message, seatsTotal, seatsUsed),
        ProblemCodes.LicenseNotFound => new LicenseNotFoundException(message, status),
        ProblemCodes.LicenseSuspended => new LicenseSuspendedException(message, status),
        ProblemCodes.LicenseExpired => new LicenseExpiredException(message, status),
        ProblemCodes.OrganizationSuspended => new OrganizationSuspendedException(message, status),
        ProblemCodes.SessionExpired => new SessionExpiredException(message, status),
        ProblemCodes.SessionReleased => new SessionReleasedException(message, status),
        ProblemCodes.SessionNotFound => new SessionNotFoundException(message, status),
        ProblemCodes.QueueTicketLapsed => new QueueTicketLapsedException(message, status),
        ProblemCodes.RateLimited => new RateLimitedException(message, status),
        ProblemCodes.ServiceUnavailable or ProblemCodes.SeatLedgerUnavailable or ProblemCodes.InternalError =>
            new CoditectUnavailableException(code, status, message),
        ProblemCodes.ValidationFailed or ProblemCodes.MalformedRequest or ProblemCodes.PayloadTooLarge =>
            new InvalidRequestException(code, status, message),
        ProblemCodes.Unauthorized or ProblemCodes.Forbidden or ProblemCodes.InvalidCredentials or ProblemCodes.InvalidRefreshToken
            or ProblemCodes.RefreshTokenReused or ProblemCodes.UserTokenRequired => new AuthenticationException(code, status, message),
        _ when status == 404 => new ResourceNotFoundException(code, message, status),
        _ when status == 409 => new ConflictException(code, message, status),
        _ when status is 401 or 403 => new AuthenticationException(code, status, message),
        _ when status is 400 or 413 or 422 => new InvalidRequestException(code, status, message),
        _ when status >= 500 => new CoditectUnavailableException(code, status, message),
        _ => new CoditectException(code, status, message),
    };

    private static string DefaultCode(int status) => status switch
    {
        400 => ProblemCodes.MalformedRequest,
        401 => ProblemCodes.Unauthorized,
        403 => ProblemCodes.Forbidden,
        404 => ProblemCodes.NotFound,
        405 => ProblemCodes.MethodNotAllowed,
        413 => ProblemCodes.PayloadTooLarge,
        429 => ProblemCodes.RateLimited,
        503 or 502 or 504 => ProblemCodes.ServiceUnavailable,
        >= 500 => ProblemCodes.InternalError,
        _ => "HTTP_" + status.ToString(CultureInfo.InvariantCulture),
    };

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : 0;

    /// <summary>Appends <c>key=value</c> query parameters, skipping null values.</summary>
    public static string Query(string path, params (string Key, string? Value)[] parameters)
    {
        var present = parameters.Where(p => p.Value is not null).ToList();
        return present.Count == 0
            ? path
            : path + "?" + string.Join("&", present.Select(p => $"{p.Key}={WebUtility.UrlEncode(p.Value)}"));
    }
}

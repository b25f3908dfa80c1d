using Coditect.Contracts.Common;

namespace Coditect.Client;

/// <summary>
/// An answer from the CODITECT server that is not a success, or a lease token that fails verification. Every
/// problem+json <c>code</c> the server sends has its own subclass, so callers catch what they can act on.
/// </summary>
public class CoditectException : Exception
{
    /// <summary>Creates an error with the server's <paramref name="code"/> and HTTP <paramref name="status"/>.</summary>
    /// <param name="code">The stable machine-readable code, e.g. <c>NO_SEATS_AVAILABLE</c>.</param>
    /// <param name="status">The HTTP status, or 0 when the error was found on this machine.</param>
    /// <param name="message">A human-readable sentence.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public CoditectException(string code, int status, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        Status = status;
    }

    /// <summary>The stable machine-readable code (one of <see cref="ProblemCodes"/>, or a client-side code).</summary>
    public string Code { get; }

    /// <summary>The HTTP status of the answer; 0 when the error was found on this machine.</summary>
    public int Status { get; }

    /// <summary>The server's <c>Retry-After</c>, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; internal set; }

    /// <summary>The server's request id (<c>X-Request-Id</c>), to quote when reporting a problem.</summary>
    public string? RequestId { get; internal set; }

    /// <summary>Per-field validation messages (snake_case field names), for <c>VALIDATION_FAILED</c> answers.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; internal set; } = new Dictionary<string, string[]>();

    /// <summary>True when retrying the same request later may succeed (429, 503, 5xx, transport failures).</summary>
    public virtual bool IsTransient => Status is 408 or 429 or >= 500;
}

/// <summary>All seats of the licence are held (409 <c>NO_SEATS_AVAILABLE</c>).</summary>
public sealed class NoSeatsAvailableException : CoditectException
{
    /// <summary>Creates the error with the licence's seat counts.</summary>
    /// <param name="message">A human-readable sentence.</param>
    /// <param name="seatsTotal">The licence's seats.</param>
    /// <param name="seatsUsed">The seats held when the server answered.</param>
    public NoSeatsAvailableException(string message, int seatsTotal, int seatsUsed)
        : base(ProblemCodes.NoSeatsAvailable, 409, message)
    {
        SeatsTotal = seatsTotal;
        SeatsUsed = seatsUsed;
    }

    /// <summary>The licence's seats.</summary>
    public int SeatsTotal { get; }

    /// <summary>The seats held when the server answered.</summary>
    public int SeatsUsed { get; }
}

/// <summary>No licence has this key (404 <c>LICENSE_NOT_FOUND</c>).</summary>
public sealed class LicenseNotFoundException(string message, int status = 404)
    : CoditectException(ProblemCodes.LicenseNotFound, status, message);

/// <summary>The licence is suspended by its vendor (403 <c>LICENSE_SUSPENDED</c>).</summary>
public sealed class LicenseSuspendedException(string message, int status = 403)
    : CoditectException(ProblemCodes.LicenseSuspended, status, message);

/// <summary>
/// The platform suspended the vendor's organization (403 <c>ORGANIZATION_SUSPENDED</c>): every licence of that vendor
/// refuses new seats and heartbeats until the platform lifts it.
/// </summary>
public sealed class OrganizationSuspendedException(string message, int status = 403)
    : CoditectException(ProblemCodes.OrganizationSuspended, status, message);

/// <summary>The licence's term has ended (403 <c>LICENSE_EXPIRED</c>).</summary>
public sealed class LicenseExpiredException(string message, int status = 403)
    : CoditectException(ProblemCodes.LicenseExpired, status, message);

/// <summary>The lease lapsed or was reclaimed and cannot be renewed (410 <c>SESSION_EXPIRED</c>); acquire again.</summary>
public sealed class SessionExpiredException(string message, int status = 410)
    : CoditectException(ProblemCodes.SessionExpired, status, message);

/// <summary>The session was released or kicked by an administrator (410 <c>SESSION_RELEASED</c>).</summary>
public sealed class SessionReleasedException(string message, int status = 410)
    : CoditectException(ProblemCodes.SessionReleased, status, message);

/// <summary>A queue ticket lapsed before its seat was claimed (410 <c>QUEUE_TICKET_LAPSED</c>); join the queue again.</summary>
public sealed class QueueTicketLapsedException(string message, int status = 410)
    : CoditectException(ProblemCodes.QueueTicketLapsed, status, message);

/// <summary>The session id is not one of this licence key's sessions (404 <c>SESSION_NOT_FOUND</c>).</summary>
public sealed class SessionNotFoundException(string message, int status = 404)
    : CoditectException(ProblemCodes.SessionNotFound, status, message);

/// <summary>
/// Something the admin API looked for does not exist or is not visible to the caller (404 <c>NOT_FOUND</c>,
/// <c>ORG_NOT_FOUND</c>, <c>MEMBER_NOT_FOUND</c>, ...). <see cref="CoditectException.Code"/> says which.
/// </summary>
public sealed class ResourceNotFoundException(string code, string message, int status = 404)
    : CoditectException(code, status, message);

/// <summary>The request was refused as invalid (400 <c>VALIDATION_FAILED</c>, <c>MALFORMED_REQUEST</c>, 413 <c>PAYLOAD_TOO_LARGE</c>).</summary>
public sealed class InvalidRequestException(string code, int status, string message)
    : CoditectException(code, status, message);

/// <summary>
/// The caller is not signed in or may not do this (401 <c>UNAUTHORIZED</c>, <c>INVALID_CREDENTIALS</c>,
/// <c>INVALID_REFRESH_TOKEN</c>, <c>REFRESH_TOKEN_REUSED</c>; 403 <c>FORBIDDEN</c>, <c>USER_TOKEN_REQUIRED</c>).
/// </summary>
public sealed class AuthenticationException(string code, int status, string message)
    : CoditectException(code, status, message);

/// <summary>The request conflicts with existing state (409 <c>SLUG_TAKEN</c>, <c>EMAIL_TAKEN</c>, <c>LAST_OWNER</c>, ...).</summary>
public sealed class ConflictException(string code, string message, int status = 409)
    : CoditectException(code, status, message);

/// <summary>Too many requests (429 <c>RATE_LIMITED</c>); <see cref="CoditectException.RetryAfter"/> says when to try again.</summary>
public sealed class RateLimitedException(string message, int status = 429)
    : CoditectException(ProblemCodes.RateLimited, status, message);

/// <summary>
/// The server could not be reached or cannot answer now: a transport failure or timeout (<see cref="CoditectException.Status"/>
/// 0, code <c>UNREACHABLE</c>), 503 <c>SERVICE_UNAVAILABLE</c> / <c>SEAT_LEDGER_UNAVAILABLE</c>, or a 5xx.
/// Retrying later may succeed.
/// </summary>
public sealed class CoditectUnavailableException(string code, int status, string message, Exception? innerException = null)
    : CoditectException(code, status, message, innerException)
{
    /// <summary>The code of a transport failure: no answer arrived.</summary>
    public const string Unreachable = "UNREACHABLE";

    /// <inheritdoc />
    public override bool IsTransient => true;
}

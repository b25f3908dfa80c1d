using Coditect.Client;

namespace Coditect.Cli;

/// <summary>The documented exit codes (docs/client.md). Scripts branch on these, so they never change meaning.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Other = 1;
    public const int Usage = 2;
    public const int NotFound = 3;
    public const int NoSeats = 4;
    public const int Auth = 5;
    public const int Unavailable = 6;

    public static int For(CoditectException e) => e switch
    {
        NoSeatsAvailableException => NoSeats,
        CoditectUnavailableException or RateLimitedException => Unavailable,
        AuthenticationException => Auth,
        InvalidRequestException => Usage,
        LeaseTokenException => Other,
        _ when e.Status == 404 => NotFound,
        _ => Other,
    };
}

/// <summary>A mistake in how the command was called, found after parsing (exit 2).</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>No usable sign-in (exit 5).</summary>
internal sealed class NotSignedInException(string message) : Exception(message);

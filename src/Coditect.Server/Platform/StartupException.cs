namespace Coditect.Server.Platform;

/// <summary>
/// A setting, or a service the server needs before it can start (Cloud KMS, Secret Manager), is wrong or refuses:
/// the message says which and why. Program prints the message alone, without a stack trace, and exits with 1.
/// Never put a secret in the message.
/// </summary>
public sealed class StartupException : InvalidOperationException
{
    public StartupException()
    {
    }

    public StartupException(string message)
        : base(message)
    {
    }

    public StartupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The start-up failure <paramref name="exception"/> is or carries (hosts wrap what a service throws).</summary>
    public static StartupException? In(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is StartupException found)
            {
                return found;
            }

            if (e is AggregateException { InnerExceptions.Count: > 0 } many)
            {
                return many.InnerExceptions.Select(In).FirstOrDefault(f => f is not null);
            }
        }

        return null;
    }

    private static int _registered;

    /// <summary>
    /// From now on, a start-up failure nobody catches prints its message alone on stderr (no stack trace) and ends the
    /// process with exit code 1. Other unhandled exceptions keep the runtime's report. Hosts under test catch what
    /// Program throws, so there it changes nothing.
    /// </summary>
    public static void ExplainWhenUnhandled()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            AppDomain.CurrentDomain.UnhandledException += (_, e) =>
            {
                if (In(e.ExceptionObject as Exception) is { } failure)
                {
                    System.Console.Error.WriteLine($"Coditect cannot start: {failure.Message}");
                    Environment.Exit(1);
                }
            };
        }
    }
}

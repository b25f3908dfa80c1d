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

    /// <summary>Prints the failure's message alone on stderr and sets exit code 1.</summary>
    public static void Explain(StartupException failure)
    {
        System.Console.Error.WriteLine($"Coditect cannot start: {failure.Message}");
        Environment.ExitCode = 1;
    }
}

/// <summary>Runs the server with start-up failures explained, not thrown.</summary>
public static class StartupFailures
{
    /// <summary><c>app.Run()</c>, with a start-up failure explained (<see cref="StartupException.Explain"/>) instead of thrown: the exit code.</summary>
    public static async Task<int> RunOrExplainAsync(this WebApplication app)
    {
        try
        {
            await app.RunAsync();
            return Environment.ExitCode;
        }
        catch (Exception e) when (StartupException.In(e) is { } failure)
        {
            StartupException.Explain(failure);
            return 1;
        }
    }
}

namespace Coditect.Cli;

/// <summary>What a command may touch of the outside world; tests pass their own writers and environment.</summary>
internal sealed record Terminal(TextWriter Out, TextWriter Error, TextReader In, Func<string, string?> Environment)
{
    public bool InteractiveInput => ReferenceEquals(In, Console.In) && !Console.IsInputRedirected;

    /// <summary>Whether stderr is a terminal, where a progress line may redraw itself.</summary>
    public bool InteractiveError => ReferenceEquals(Error, Console.Error) && !Console.IsErrorRedirected;
}

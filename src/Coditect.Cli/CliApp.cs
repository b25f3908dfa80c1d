using System.CommandLine;
using Coditect.Client;

namespace Coditect.Cli;

/// <summary>The command tree. Every command runs through <see cref="Run"/>, which turns errors into one line and an exit code.</summary>
internal static partial class CliApp
{
    public static readonly Option<string?> ServerOption = new("--server")
    {
        Description = "The server's address, e.g. https://licensing.example.com (default: $CODITECT_SERVER, then the one you logged in to).",
        Recursive = true,
    };

    public static readonly Option<bool> JsonOption = new("--json")
    {
        Description = "Print the result as JSON (snake_case, as the API sends it) instead of a table.",
        Recursive = true,
    };

    public static async Task<int> RunAsync(string[] args, Terminal terminal, CancellationToken ct = default)
    {
        var root = Build(terminal);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            var command = string.Join(" ", parsed.CommandResult.Command.Name == root.Name ? [] : Path(parsed.CommandResult));
            await terminal.Error.WriteLineAsync($"coditect: {parsed.Errors[0].Message} (see 'coditect {command}{(command.Length > 0 ? " " : "")}--help')");
            return ExitCodes.Usage;
        }

        return await parsed.InvokeAsync(new InvocationConfiguration
        {
            Output = terminal.Out,
            Error = terminal.Error,
            // Ctrl-C cancels the command's token; give `lease acquire --hold` time to release its seat.
            ProcessTerminationTimeout = TimeSpan.FromSeconds(10),
        }, ct);
    }

    private static Stack<string> Path(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new Stack<string>();
        for (var r = result; r?.Parent is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Push(r.Command.Name);
        }

        return names;
    }

    internal static RootCommand Build(Terminal terminal)
    {
        var root = new RootCommand("""
            coditect: manage CODITECT licences, sessions and leases, and Dev Context projects, tasks, plans, repositories and AI work sessions.

            Exit codes: 0 ok, 1 other error, 2 usage, 3 not found, 4 no seats, 5 not signed in or not allowed,
            6 server unavailable. Errors are one line on stderr. Environment: CODITECT_SERVER, CODITECT_ORG,
            CODITECT_TOKEN (an access token or API key instead of login), CODITECT_PASSWORD, CODITECT_LICENSE_KEY,
            CODITECT_CONFIG_DIR (where credentials.json lives; default ~/.config/coditect).
            """)
        {
            ServerOption,
            JsonOption,
        };
        root.Add(LoginCommand(terminal));
        root.Add(LogoutCommand(terminal));
        root.Add(OrgsCommand(terminal));
        root.Add(LicensesCommand(terminal));
        root.Add(SessionsCommand(terminal));
        root.Add(LeaseCommand(terminal));
        root.Add(ValidateCommand(terminal));
        root.Add(ProjectsCommand(terminal));
        root.Add(TasksCommand(terminal));
        root.Add(PlansCommand(terminal));
        root.Add(RepoCommand(terminal));
        root.Add(ContextCommand(terminal));
        return root;
    }

    /// <summary>Wraps a command's body: every failure becomes one line on stderr and a documented exit code.</summary>
    private static Func<ParseResult, CancellationToken, Task<int>> Run(Terminal terminal, Func<ParseResult, CancellationToken, Task<int>> body) =>
        async (parse, ct) =>
        {
            try
            {
                return await body(parse, ct);
            }
            catch (CoditectException e)
            {
                await terminal.Error.WriteLineAsync($"coditect: {e.Message} [{e.Code}]");
                return ExitCodes.For(e);
            }
            catch (UsageException e)
            {
                await terminal.Error.WriteLineAsync($"coditect: {e.Message}");
                return ExitCodes.Usage;
            }
            catch (NotSignedInException e)
            {
                await terminal.Error.WriteLineAsync($"coditect: {e.Message}");
                return ExitCodes.Auth;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await terminal.Error.WriteLineAsync("coditect: cancelled.");
                return ExitCodes.Other;
            }
            catch (IOException e)
            {
                await terminal.Error.WriteLineAsync($"coditect: {e.Message}");
                return ExitCodes.Other;
            }
        };

    private static Uri Server(ParseResult parse, Terminal terminal, Credentials? credentials = null)
    {
        var text = parse.GetValue(ServerOption) ?? terminal.Environment("CODITECT_SERVER") ?? credentials?.Server
            ?? Credentials.Load(terminal)?.Server;
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new UsageException("No server: pass --server URL or set CODITECT_SERVER.");
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"'{text}' is not an http or https address.");
        }

        return uri;
    }

    private static string Required(ParseResult parse, Option<string?> option, Terminal terminal, string variable)
    {
        var value = parse.GetValue(option) ?? terminal.Environment(variable);
        return string.IsNullOrWhiteSpace(value)
            ? throw new UsageException($"{option.Name} is required (or set {variable}).")
            : value.Trim();
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using Coditect.Contracts.DevContext;

namespace Coditect.Cli;

/// <summary>
/// Reads commits from a local repository with <c>git log</c> (the <c>git</c> on the PATH): one record per commit,
/// fields separated by control characters git never prints in them, then its <c>--numstat</c> lines.
/// </summary>
internal static class GitLog
{
    private const char Record = '\x1e';
    private const char Field = '\x1f';

    /// <summary>The format: SHA, parents, author, author time, committer, commit time, the raw message.</summary>
    private const string Format = "--format=%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cn%x1f%ce%x1f%cI%x1f%B%x1f";

    /// <summary>The local branches (<c>refs/heads</c>), by name.</summary>
    public static async Task<IReadOnlyList<string>> BranchesAsync(string path, CancellationToken ct) =>
        [.. (await RunAsync(path, ct, "for-each-ref", "--format=%(refname:short)", "refs/heads")).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>Whether <paramref name="sha"/> names a commit in the local repository (a head the server knows may be gone after a rebase).</summary>
    public static async Task<bool> HasCommitAsync(string path, string sha, CancellationToken ct)
    {
        try
        {
            await RunAsync(path, ct, "cat-file", "-e", sha + "^{commit}");
            return true;
        }
        catch (GitException)
        {
            return false;
        }
    }

    /// <summary>The commits of <paramref name="branch"/> not reachable from any of <paramref name="known"/>, parents before children.</summary>
    public static async Task<IReadOnlyList<CommitInput>> CommitsAsync(string path, string branch, IEnumerable<string> known, CancellationToken ct)
    {
        List<string> args = ["log", "--topo-order", "--reverse", "--numstat", "--no-renames", "--no-color", Format, "refs/heads/" + branch];
        var excluded = known.ToList();
        if (excluded.Count > 0)
        {
            args.Add("--not");
            args.AddRange(excluded);
        }

        args.Add("--");
        return Parse(await RunAsync(path, ct, [.. args]), branch);
    }

    /// <summary>Parses <see cref="Format"/> records with their numstat lines.</summary>
    internal static List<CommitInput> Parse(string output, string branch)
    {
        var commits = new List<CommitInput>();
        foreach (var record in output.Split(Record))
        {
            var fields = record.Split(Field);
            if (fields.Length < 10)
            {
                continue;
            }

            int files = 0, additions = 0, deletions = 0;
            foreach (var line in fields[9].Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split('\t');
                if (parts.Length < 3)
                {
                    continue;
                }

                files++;
                additions += int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var a) ? a : 0; // "-" for binary files
                deletions += int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : 0;
            }

            commits.Add(new CommitInput(
                fields[0].Trim(),
                Clean(fields[2]), Clean(fields[3]), Time(fields[4]),
                Clean(fields[5]), Clean(fields[6]), Time(fields[7]),
                Message(fields[8]),
                [branch],
                fields[1].Split(' ', StringSplitOptions.RemoveEmptyEntries),
                files, additions, deletions));
        }

        return commits;
    }

    /// <summary>Names and e-mails are short fields: a control character in one would be refused, so it becomes U+FFFD (decisions: importers replace).</summary>
    private static string Clean(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            text.Append(char.IsControl(c) ? '\uFFFD' : c);
        }

        return text.ToString();
    }

    /// <summary>The server keeps at most 65,536 characters of a message and refuses NUL: the importer trims and replaces instead of failing the batch.</summary>
    private static string Message(string raw)
    {
        var message = raw.TrimEnd('\n').Replace('\0', '\uFFFD');
        return message.Length > MaxMessageChars ? message[..MaxMessageChars] : message;
    }

    private const int MaxMessageChars = 65_536;

    private static DateTime Time(string iso) =>
        DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind).UtcDateTime;

    private static async Task<string> RunAsync(string path, CancellationToken ct, params string[] args)
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add("-C");
        start.ArgumentList.Add(path);
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("core.quotepath=off");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new GitException("git could not be started.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new GitException($"git could not be started ({e.Message}): is it installed and on the PATH?");
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(ct);
            var error = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            if (process.ExitCode != 0)
            {
                throw new GitException($"git {args[0]} in {path} failed: {(await error).Trim()}");
            }

            return await output;
        }
    }
}

/// <summary>git failed or is missing (exit 1).</summary>
internal sealed class GitException(string message) : Exception(message);

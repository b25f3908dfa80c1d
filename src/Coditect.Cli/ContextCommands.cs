using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Coditect.Client;
using Coditect.Contracts.DevContext;

namespace Coditect.Cli;

/// <summary>
/// <c>coditect context import PATH...</c>: AI work sessions into Dev Context. Each file is one request that streams the
/// file; the server is idempotent (work sessions, conversations and messages are found again by their external ids),
/// so an interrupted import is resumed by running the same command again.
/// </summary>
internal static partial class CliApp
{
    /// <summary>The file names a folder is searched for (recursively).</summary>
    private static readonly string[] ImportPatterns = ["*.jsonl", "*.ndjson", "*.json"];

    private static Command ContextCommand(Terminal terminal)
    {
        var paths = new Argument<string[]>("path") { Description = "Files or folders (searched recursively for *.jsonl, *.ndjson and *.json).", Arity = ArgumentArity.OneOrMore };
        var project = new Option<string?>("--project") { Description = "Attach the imported work sessions to this project (id, key, slug or name)." };
        var format = new Option<string>("--format")
        {
            Description = "The files' format: claude-code (a Claude Code transcript), coditect (an export), chat (a JSON array of {role, content}), or auto: read from each file's first line.",
            DefaultValueFactory = _ => "auto",
        };
        format.AcceptOnlyFromAmong(["auto", .. ImportFormats.All]);
        var import = new Command("import", """
            Import AI work sessions: Claude Code transcripts (~/.claude/projects/*/*.jsonl), exports of this server
            ('coditect' format) and chat arrays. Importing the same files again adds nothing, so an interrupted import
            is resumed by running it again. A progress line (files, messages, MB/s) is shown on a terminal.
            """) { paths, project, format };
        import.SetAction(Work(terminal, async (admin, org, parse, ct) =>
        {
            var files = ImportFiles(parse.GetValue(paths)!);
            var projectId = parse.GetValue(project) is { } p ? (await FindProjectAsync(admin, org, p, ct)).Id : (Guid?)null;
            var chosen = parse.GetValue(format)!;
            var progress = new ImportProgress(files.Sum(f => f.Length), files.Count);
            var show = terminal.InteractiveError && !parse.GetValue(JsonOption);
            var results = new List<ImportedFile>();
            foreach (var file in files)
            {
                var fileFormat = chosen == "auto" ? DetectFormat(file.FullName) : chosen;
                var report = new Reporter(sent =>
                {
                    progress.Sending(sent);
                    if (show && progress.Due())
                    {
                        terminal.Error.Write($"\r{progress.Line(file.Name)}");
                    }
                });
                try
                {
                    // A chat array carries no session id of its own: its content's hash is one, so importing it again finds it.
                    var externalId = fileFormat == ImportFormats.Chat ? await ContentIdAsync(file, ct) : null;
                    var result = await admin.ImportWorkSessionsAsync(org, () => file.OpenRead(), fileFormat, projectId, externalId, progress: report, ct: ct);
                    progress.Done(file.Length, result.Messages + result.AlreadyKnown);
                    results.Add(new ImportedFile(file.FullName, fileFormat, result, null));
                }
                catch (CoditectException e) when (e is not AuthenticationException and not CoditectUnavailableException)
                {
                    // One refused file (a format it is not, a quota reached) does not stop the others.
                    progress.Done(file.Length, 0);
                    results.Add(new ImportedFile(file.FullName, fileFormat, null, $"{e.Message} [{e.Code}]"));
                }
            }

            if (show)
            {
                await terminal.Error.WriteLineAsync($"\r{progress.Line(null)}");
            }

            await WriteImport(parse, terminal, results, progress);
            return results.Any(r => r.Error is not null) ? ExitCodes.Other : ExitCodes.Ok;
        }));

        return new Command("context", "AI work sessions: import transcripts and exports.") { OrgOption, import };
    }

    /// <summary>The files named, and those under the folders named (sorted), each once; a path that does not exist is a usage error.</summary>
    internal static List<FileInfo> ImportFiles(IEnumerable<string> paths)
    {
        var files = new List<FileInfo>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                files.AddRange(ImportPatterns
                    .SelectMany(pattern => Directory.EnumerateFiles(path, pattern, SearchOption.AllDirectories))
                    .Order(StringComparer.Ordinal)
                    .Select(f => new FileInfo(f)));
            }
            else if (File.Exists(path))
            {
                files.Add(new FileInfo(path));
            }
            else
            {
                throw new UsageException($"{path}: no such file or folder.");
            }
        }

        var unique = files.DistinctBy(f => f.FullName).ToList();
        return unique.Count > 0 ? unique : throw new UsageException("No *.jsonl, *.ndjson or *.json files found in the paths given.");
    }

    /// <summary>
    /// A file's format from its first non-blank line: a JSON array is a chat; our export starts with a
    /// <c>work_session</c> line naming its format; anything else is taken for a Claude Code transcript.
    /// </summary>
    internal static string DetectFormat(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        string? line;
        while ((line = reader.ReadLine()) is not null && string.IsNullOrWhiteSpace(line))
        {
        }

        var first = line?.TrimStart() ?? "";
        if (first.StartsWith('['))
        {
            return ImportFormats.Chat;
        }

        try
        {
            using var json = JsonDocument.Parse(first);
            return json.RootElement.ValueKind == JsonValueKind.Object
                   && json.RootElement.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "work_session"
                   && json.RootElement.TryGetProperty("format", out var name) && name.ValueKind == JsonValueKind.String && name.GetString() == ImportFormats.ExportFormatName
                ? ImportFormats.Coditect
                : ImportFormats.ClaudeCode;
        }
        catch (JsonException)
        {
            return ImportFormats.ClaudeCode; // the server reports the malformed line with its number
        }
    }

    private static async Task<string> ContentIdAsync(FileInfo file, CancellationToken ct)
    {
        await using var stream = file.OpenRead();
        return "sha256:" + Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(stream, ct));
    }

    private static async Task WriteImport(ParseResult parse, Terminal terminal, List<ImportedFile> results, ImportProgress progress)
    {
        var imported = results.Where(r => r.Result is not null).Select(r => r.Result!).ToList();
        var totals = new
        {
            files = results.Count,
            failed = results.Count(r => r.Error is not null),
            work_sessions = imported.Sum(r => r.WorkSessionIds.Count),
            messages = imported.Sum(r => r.Messages),
            already_known = imported.Sum(r => r.AlreadyKnown),
            malformed_lines = imported.Sum(r => r.Errors.Count),
            megabytes = Math.Round(progress.TotalBytes / 1e6, 2),
            seconds = Math.Round(progress.Elapsed.TotalSeconds, 2),
        };
        if (parse.GetValue(JsonOption))
        {
            Output.WriteJson(terminal.Out, new
            {
                totals,
                files = results.Select(r => new { path = r.Path, format = r.Format, result = r.Result, error = r.Error }),
            });
            return;
        }

        foreach (var file in results)
        {
            if (file.Error is not null)
            {
                await terminal.Error.WriteLineAsync($"coditect: {file.Path}: {file.Error}");
                continue;
            }

            var r = file.Result!;
            await terminal.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{file.Path} ({file.Format}): {r.WorkSessionIds.Count} work session(s), {r.Messages} new message(s), {r.AlreadyKnown} already known{(r.Errors.Count > 0 ? $", {r.Errors.Count} malformed line(s)" : "")}"));
            foreach (var error in r.Errors.Take(5))
            {
                await terminal.Error.WriteLineAsync($"coditect: {file.Path}:{error.Line}: {error.Message}");
            }
        }

        await terminal.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Imported {totals.files - totals.failed} of {totals.files} file(s): {totals.messages} new message(s), {totals.already_known} already known, {totals.megabytes:0.##} MB in {totals.seconds:0.#} s."));
    }

    private sealed record ImportedFile(string Path, string Format, TranscriptImportResponse? Result, string? Error);

    /// <summary>Reports on the thread that sends: <see cref="Progress{T}"/> would post to the thread pool, out of order.</summary>
    private sealed class Reporter(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}

/// <summary>The import's progress line: files done of all, messages, MB/s over the bytes sent so far.</summary>
internal sealed class ImportProgress(long totalBytes, int totalFiles)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _doneBytes;
    private long _sending;
    private int _files;
    private long _messages;
    private TimeSpan _shownAt = TimeSpan.MinValue;

    public long TotalBytes => totalBytes;

    public TimeSpan Elapsed => _clock.Elapsed;

    public void Sending(long sent) => _sending = sent;

    public void Done(long bytes, long messages)
    {
        _doneBytes += bytes;
        _sending = 0;
        _files++;
        _messages += messages;
    }

    /// <summary>True at most five times a second: a terminal is not redrawn for every 64 KB.</summary>
    public bool Due()
    {
        if (_clock.Elapsed - _shownAt < TimeSpan.FromMilliseconds(200))
        {
            return false;
        }

        _shownAt = _clock.Elapsed;
        return true;
    }

    public string Line(string? current)
    {
        var sent = _doneBytes + _sending;
        var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
        var percent = totalBytes == 0 ? 100 : 100.0 * sent / totalBytes;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"[{_files}/{totalFiles} files] {percent,3:0}%  {_messages} messages  {sent / 1e6 / seconds:0.0} MB/s");
        return current is null ? line.PadRight(79) : $"{line}  {current}".PadRight(79);
    }
}

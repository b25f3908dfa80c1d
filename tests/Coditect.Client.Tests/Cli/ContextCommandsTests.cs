using System.Text.Json;
using Coditect.Cli;
using Coditect.Client.Tests.Infrastructure;

namespace Coditect.Client.Tests.Cli;

/// <summary><c>coditect context import</c>, run in process against the real server on real files and folders.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class ContextCommandsTests(RealServer server) : IDisposable
{
    private readonly string _config = Directory.CreateTempSubdirectory("coditect-cli-").FullName;
    private readonly string _files = Directory.CreateTempSubdirectory("coditect-import-").FullName;
    private readonly Dictionary<string, string?> _env = [];

    public void Dispose()
    {
        Directory.Delete(_config, recursive: true);
        Directory.Delete(_files, recursive: true);
    }

    private Task<CliResult> Run(params string[] args) => CliRun.RunAsync(
        new Dictionary<string, string?>(_env) { ["CODITECT_CONFIG_DIR"] = _config, ["CODITECT_SERVER"] = server.Uri.AbsoluteUri }, CancellationToken.None, args);

    /// <summary>A Claude Code transcript in the format's documented shapes: a summary, a user line, an assistant line.</summary>
    private static string Transcript(string sessionId, string question, string answer, string extra = "")
    {
        var common = $"\"cwd\":\"/home/dev/app\",\"sessionId\":\"{sessionId}\",\"version\":\"1.0.43\",\"gitBranch\":\"main\"";
        return $$$"""
            {"type":"summary","summary":"{{{question}}}","leafUuid":"{{{sessionId}}}-a"}
            {"parentUuid":null,"isSidechain":false,{{{common}}},"type":"user","message":{"role":"user","content":"{{{question}}}"},"uuid":"{{{sessionId}}}-u","timestamp":"2026-11-30T10:00:00.000Z"}
            {"parentUuid":"{{{sessionId}}}-u","isSidechain":false,{{{common}}},"type":"assistant","message":{"id":"msg_{{{sessionId}}}","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[{"type":"text","text":"{{{answer}}}"}],"usage":{"input_tokens":10,"output_tokens":5}},"uuid":"{{{sessionId}}}-a","timestamp":"2026-11-30T10:00:01.000Z"}

            """ + extra;
    }

    [Fact]
    public async Task A_folder_of_transcripts_and_chats_imports_once_and_a_second_run_adds_nothing()
    {
        var vendor = await server.NewVendorAsync();
        _env["CODITECT_PASSWORD"] = vendor.Password;
        (await Run("login", "--email", vendor.Email)).Exit.ShouldBe(0);
        (await Run("projects", "create", "Apollo", "--key", "APO")).Exit.ShouldBe(0);

        var nested = Directory.CreateDirectory(Path.Combine(_files, "projects", "app")).FullName;
        await File.WriteAllTextAsync(Path.Combine(nested, "one.jsonl"), Transcript("s-one", "Why does the build fail?", "A missing semicolon."));
        await File.WriteAllTextAsync(Path.Combine(nested, "two.jsonl"),
            Transcript("s-two", "Rename the option", "Done.", extra: "{\"parentUuid\":\"x\",\"type\":\"assistant\",\"message\":{ not JSON\n"));
        await File.WriteAllTextAsync(Path.Combine(_files, "chat.json"), """[{"role":"user","content":"Hello"},{"role":"assistant","content":"Hi there"}]""");
        await File.WriteAllTextAsync(Path.Combine(_files, "notes.txt"), "not imported");

        var first = await Run("context", "import", _files, "--project", "APO", "--json");

        first.Exit.ShouldBe(0, first.Error);
        var totals = first.Json.GetProperty("totals");
        totals.GetProperty("files").GetInt32().ShouldBe(3);
        totals.GetProperty("work_sessions").GetInt32().ShouldBe(3);
        totals.GetProperty("messages").GetInt64().ShouldBe(6);
        totals.GetProperty("already_known").GetInt64().ShouldBe(0);
        totals.GetProperty("malformed_lines").GetInt32().ShouldBe(1);
        first.Json.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("format").GetString()).Order()
            .ShouldBe(["chat", "claude-code", "claude-code"]);

        // Interrupted or not, running it again resumes: nothing is added twice.
        var again = await Run("context", "import", _files, "--project", "APO");
        again.Exit.ShouldBe(0, again.Error);
        again.Out.ShouldContain("Imported 3 of 3 file(s): 0 new message(s), 6 already known");
        again.Error.ShouldContain("two.jsonl:4:", customMessage: "the malformed line, with its file and number");
    }

    [Fact]
    public async Task A_malformed_chat_is_reported_with_its_position_and_the_other_files_are_imported()
    {
        var vendor = await server.NewVendorAsync();
        _env["CODITECT_PASSWORD"] = vendor.Password;
        (await Run("login", "--email", vendor.Email)).Exit.ShouldBe(0);
        var good = Path.Combine(_files, "good.jsonl");
        await File.WriteAllTextAsync(good, Transcript("s-good", "Ship it?", "Yes."));
        var chat = Path.Combine(_files, "broken.json");
        await File.WriteAllTextAsync(chat, "[{\"role\":\"user\",\"content\":\"Hello\"}, oops");

        var result = await Run("context", "import", chat, good, "--json");

        result.Exit.ShouldBe(0, result.Error);
        var files = result.Json.GetProperty("files").EnumerateArray().ToList();
        files[0].GetProperty("result").GetProperty("errors")[0].GetProperty("message").GetString()!.ShouldContain("not a JSON array");
        files[1].GetProperty("result").GetProperty("messages").GetInt64().ShouldBe(2);
    }

    [Fact]
    public async Task Missing_paths_and_unknown_projects_are_refused_before_anything_is_sent()
    {
        var vendor = await server.NewVendorAsync();
        _env["CODITECT_PASSWORD"] = vendor.Password;
        (await Run("login", "--email", vendor.Email)).Exit.ShouldBe(0);

        (await Run("context", "import", Path.Combine(_files, "nope.jsonl"))).Exit.ShouldBe(2);
        (await Run("context", "import", _files)).Error.ShouldContain("No *.jsonl");
        await File.WriteAllTextAsync(Path.Combine(_files, "a.jsonl"), Transcript("s-a", "Q", "A"));
        (await Run("context", "import", _files, "--project", "NOPE")).Exit.ShouldBe(3);
        (await Run("context", "import", _files, "--format", "yaml")).Exit.ShouldBe(2);
    }

    [Fact]
    public void The_format_is_read_from_the_first_line()
    {
        var export = Path.Combine(_files, "export.jsonl");
        File.WriteAllText(export, "\n{\"type\":\"work_session\",\"format\":\"coditect.work_sessions\",\"version\":1}\n");
        CliApp.DetectFormat(export).ShouldBe("coditect");
        var chat = Path.Combine(_files, "chat.json");
        File.WriteAllText(chat, "  [ {\"role\":\"user\",\"content\":\"x\"} ]");
        CliApp.DetectFormat(chat).ShouldBe("chat");
        var transcript = Path.Combine(_files, "t.jsonl");
        File.WriteAllText(transcript, Transcript("s", "Q", "A"));
        CliApp.DetectFormat(transcript).ShouldBe("claude-code");
    }

    [Fact]
    public void The_progress_line_counts_files_messages_and_bytes()
    {
        var progress = new ImportProgress(totalBytes: 2_000_000, totalFiles: 2);
        progress.Sending(500_000);
        progress.Line("one.jsonl").ShouldStartWith("[0/2 files]  25%  0 messages");
        progress.Done(1_000_000, 120);
        progress.Line(null).ShouldStartWith("[1/2 files]  50%  120 messages");
        progress.Line(null).ShouldContain("MB/s");
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Coditect.Contracts.DevContext;
using Coditect.Server.DevContext.Import;
using Coditect.Server.Tenancy;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.DevContext.WorkSessions;

public abstract class TranscriptImportTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    /// <summary>
    /// A Claude Code transcript built from the format's documented shapes (one JSON object a line): a summary, user and
    /// assistant lines threaded by <c>parentUuid</c>, one API message split over two lines repeating its usage, thinking,
    /// tool use and tool result blocks, a sub-agent's side thread (<c>isSidechain</c>), lines of other kinds, a broken line
    /// (7) and an escaped NUL.
    /// </summary>
    private static string ClaudeTranscript(string sessionId, string extra = "")
    {
        string Line(string json) => json.Replace("SESSION", sessionId, StringComparison.Ordinal) + "\n";
        var common = "\"userType\":\"external\",\"cwd\":\"/home/dev/app\",\"sessionId\":\"SESSION\",\"version\":\"1.0.43\",\"gitBranch\":\"main\"";
        return Line("""{"type":"summary","summary":"Fix the flaky build","leafUuid":"u5"}""")
            + Line($$$"""{"parentUuid":null,"isSidechain":false,{{{common}}},"type":"user","message":{"role":"user","content":"Why does the build fail?"},"uuid":"u1","timestamp":"2026-11-30T10:00:00.000Z"}""")
            + Line($$$"""{"parentUuid":"u1","isSidechain":false,{{{common}}},"type":"assistant","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[{"type":"thinking","thinking":"Look at the compiler log first.","signature":"c2ln"}],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":100,"cache_creation_input_tokens":50,"cache_read_input_tokens":2000,"output_tokens":30,"service_tier":"standard"}},"requestId":"req_1","uuid":"u2","timestamp":"2026-11-30T10:00:01.000Z"}""")
            + Line($$$"""{"parentUuid":"u2","isSidechain":false,{{{common}}},"type":"assistant","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"dotnet build","description":"Build the solution"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":100,"cache_creation_input_tokens":50,"cache_read_input_tokens":2000,"output_tokens":30,"service_tier":"standard"}},"requestId":"req_1","uuid":"u3","timestamp":"2026-11-30T10:00:02.000Z"}""")
            + Line($$$"""{"parentUuid":"u3","isSidechain":false,{{{common}}},"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_1","type":"tool_result","content":"Program.cs(12,5): error CS1002: ; expected","is_error":true}]},"toolUseResult":{"stdout":"","stderr":"error CS1002","interrupted":false},"uuid":"u4","timestamp":"2026-11-30T10:00:03.000Z"}""")
            + Line("""{"type":"file-history-snapshot","messageId":"u4","snapshot":{"trackedFileBackups":{}},"isSnapshotUpdate":false}""")
            + Line("""{"parentUuid":"u4","type":"assistant","message":{ this is not JSON""")
            + Line($$$"""{"parentUuid":null,"isSidechain":true,"agentId":"a1",{{{common}}},"type":"user","message":{"role":"user","content":"Find the line missing a semicolon"},"uuid":"s1","timestamp":"2026-11-30T10:00:04.000Z"}""")
            + Line($$$"""{"parentUuid":"s1","isSidechain":true,"agentId":"a1",{{{common}}},"type":"assistant","message":{"id":"msg_2","type":"message","role":"assistant","model":"claude-haiku-4","content":[{"type":"text","text":"Found it: Program.cs line 12."}],"usage":{"input_tokens":10,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":5}},"uuid":"s2","timestamp":"2026-11-30T10:00:05.000Z"}""")
            + Line($$$"""{"parentUuid":"u4","isSidechain":false,{{{common}}},"type":"assistant","message":{"id":"msg_3","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[{"type":"text","text":"Fixed: added the semicolon\u0000 in Program.cs."}],"usage":{"input_tokens":200,"cache_creation_input_tokens":0,"cache_read_input_tokens":2100,"output_tokens":12}},"uuid":"u5","timestamp":"2026-11-30T10:05:00.000Z"}""")
            + Line("""{"type":"system","subtype":"compact_boundary","content":"Conversation compacted","uuid":"sys1","timestamp":"2026-11-30T10:05:01.000Z"}""")
            + extra;
    }

    private static async Task<TranscriptImportResponse> ImportAsync(Caller caller, string body, string query, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var content = new StringContent(body, Encoding.UTF8, "application/x-ndjson");
        var response = await caller.Client.Http.PostAsync($"{caller.OrgPath}/work-sessions/import?{query}", content);
        return await response.ReadAsync<TranscriptImportResponse>(expected);
    }

    [Fact]
    public async Task A_claude_code_transcript_becomes_a_work_session_with_its_side_thread_and_a_re_import_adds_nothing()
    {
        var owner = await _anonymous.RegisterAsync();
        var project = await owner.CreateProjectAsync();
        var sessionId = Guid.NewGuid().ToString();
        var transcript = ClaudeTranscript(sessionId);

        var first = await ImportAsync(owner, transcript, $"format=claude-code&project_id={project.Id}");
        (first.Lines, first.Messages, first.AlreadyKnown, first.Conversations, first.UnknownLines, first.Replaced).ShouldBe((11L, 7L, 0L, 1L, 2L, 1L));
        first.Errors.Single().Line.ShouldBe(7);
        first.Errors.Single().Message.ShouldStartWith("not JSON");

        var session = await owner.Client.GetJsonAsync<WorkSessionResponse>($"{owner.OrgPath}/work-sessions/{first.WorkSessionIds.Single()}");
        (session.Tool, session.ExternalId, session.WorkingDirectory, session.Branch, session.Model, session.Title, session.ProjectId)
            .ShouldBe(("claude-code", sessionId, "/home/dev/app", "main", "claude-sonnet-4-20250514", "Fix the flaky build", (Guid?)project.Id));
        session.StartedAt.ShouldBe(new DateTime(2026, 11, 30, 10, 0, 0, DateTimeKind.Utc));
        session.EndedAt.ShouldBe(new DateTime(2026, 11, 30, 10, 5, 0, DateTimeKind.Utc));
        session.DurationSeconds.ShouldBe(300);
        (await owner.SearchAsync("flaky")).Items.ShouldContain(h => h.Kind == SearchHitKinds.Conversation && h.WorkSessionId == session.Id,
            "the summary became the main conversation's title, which search finds");

        var timeline = await owner.Client.GetJsonAsync<TimelineResponse>($"{owner.OrgPath}/work-sessions/{session.Id}/timeline");
        var main = timeline.Conversations.Single(c => c.ParentId is null);
        var side = timeline.Conversations.Single(c => c.ParentId is not null);
        (side.ParentId, side.ExternalId, side.MessageCount).ShouldBe(((Guid?)main.Id, "agent-a1", 2));
        main.Summary.ShouldBe("Fix the flaky build");
        var mains = timeline.Items.Where(m => m.ConversationId == main.Id).ToList();
        mains.Select(m => m.Role).ShouldBe(["user", "assistant", "assistant", "tool", "assistant"]);
        mains.Select(m => m.ExternalId).ShouldBe(["u1", "u2", "u3", "u4", "u5"]);
        mains[1].Blocks.Single().ShouldBe(new ContentBlock("thinking", Text: "Look at the compiler log first."));
        mains[2].Blocks.Single().Name.ShouldBe("Bash");
        mains[2].ParentId.ShouldBe(mains[1].Id);
        mains[3].Blocks.Single().IsError.ShouldBe(true);
        mains[1].Usage.ShouldBe(new TokenUsage(100, 30, 2000, 50));
        mains[2].Usage.ShouldBe(new TokenUsage(0, 0, 0, 0), "one API message split over two lines counts its usage once");
        mains[4].Text.ShouldBe("Fixed: added the semicolon\uFFFD in Program.cs.");
        timeline.Items.Where(m => m.ConversationId == side.Id).Select(m => m.Text).ShouldBe(["Find the line missing a semicolon", "Found it: Program.cs line 12."]);

        var again = await ImportAsync(owner, transcript, "format=claude-code");
        (again.Messages, again.AlreadyKnown, again.Conversations).ShouldBe((0L, 7L, 0L));
        again.WorkSessionIds.ShouldBe([session.Id]);

        var grown = await ImportAsync(owner, ClaudeTranscript(sessionId, """{"parentUuid":"u5","isSidechain":false,"sessionId":"SESSION","type":"user","message":{"role":"user","content":"Thanks!"},"uuid":"u6","timestamp":"2026-11-30T10:07:00.000Z"}""".Replace("SESSION", sessionId, StringComparison.Ordinal) + "\n"), "format=claude-code");
        (grown.Messages, grown.AlreadyKnown).ShouldBe((1L, 7L));
        (await owner.Client.GetJsonAsync<WorkSessionResponse>($"{owner.OrgPath}/work-sessions/{session.Id}")).EndedAt.ShouldBe(new DateTime(2026, 11, 30, 10, 7, 0, DateTimeKind.Utc));

        var stats = await owner.Client.GetJsonAsync<WorkSessionStatsResponse>($"{owner.OrgPath}/work-sessions/stats?project_id={project.Id}");
        (stats.WorkSessions, stats.Conversations, stats.Messages).ShouldBe((1, 2L, 8L));
        stats.TokensByModel.Single(m => m.Model == "claude-sonnet-4-20250514").ShouldBe(new ModelTokens("claude-sonnet-4-20250514", 3, 300, 42, 4100, 50));
        stats.MostActiveMembers.Single().ShouldBe(new MemberActivity(owner.UserId, stats.MostActiveMembers.Single().Name, 8, 1));
        (await owner.SearchAsync("semicolon")).Items.Count.ShouldBe(2);
    }

    [Fact]
    public async Task An_export_imported_into_another_organization_gives_the_same_sessions_and_hashes()
    {
        var owner = await _anonymous.RegisterAsync();
        var imported = await ImportAsync(owner, ClaudeTranscript(Guid.NewGuid().ToString()), "format=claude-code");
        var manual = await owner.CreateWorkSessionAsync(tool: "cursor");
        await owner.AppendOkAsync(manual.Id, WorkSessionSteps.Say("typed by hand"), WorkSessionSteps.Say("café \t tab", role: "assistant"));

        var export = await owner.Client.Http.GetAsync($"{owner.OrgPath}/work-sessions/export");
        export.StatusCode.ShouldBe(HttpStatusCode.OK);
        export.Content.Headers.ContentType!.MediaType.ShouldBe("application/x-ndjson");
        var file = await export.Content.ReadAsStringAsync();
        file.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(2 + 3 + 9);

        var other = await _anonymous.RegisterAsync();
        var result = await ImportAsync(other, file, "format=coditect");
        (result.Messages, result.Errors.Count, result.WorkSessionIds.Count).ShouldBe((9L, 0, 2));
        (await ImportAsync(other, file, "format=coditect")).Messages.ShouldBe(0, "importing the same export again adds nothing");

        async Task<List<string>> Hashes(Caller caller, Guid session) =>
            [.. (await caller.Client.GetJsonAsync<TimelineResponse>($"{caller.OrgPath}/work-sessions/{session}/timeline")).Items.Select(m => $"{m.Role} {m.ContentHash} {m.ExternalId}")];

        var theirs = await other.AllPagesAsync<WorkSessionResponse>($"{other.OrgPath}/work-sessions?sort=started_at");
        var ours = await owner.AllPagesAsync<WorkSessionResponse>($"{owner.OrgPath}/work-sessions?sort=started_at");
        theirs.Select(s => (s.Tool, s.Title, s.StartedAt, s.EndedAt)).ShouldBe(ours.Select(s => (s.Tool, s.Title, s.StartedAt, s.EndedAt)));
        for (var i = 0; i < ours.Count; i++)
        {
            var mine = await Hashes(owner, ours[i].Id);
            var copied = await Hashes(other, theirs[i].Id);
            copied.Select(h => h.Split(' ')[1]).ShouldBe(mine.Select(h => h.Split(' ')[1]));
            copied.Select(h => h.Split(' ')[0]).ShouldBe(mine.Select(h => h.Split(' ')[0]));
        }

        var one = await owner.Client.Http.GetStringAsync($"{owner.OrgPath}/work-sessions/{imported.WorkSessionIds[0]}/export");
        one.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(1 + 2 + 7);
    }

    [Fact]
    public async Task A_chat_array_imports_with_bad_items_reported_and_an_external_id_makes_it_idempotent()
    {
        var owner = await _anonymous.RegisterAsync();
        const string chat = """
            [{"role":"system","content":"You are terse."},
             {"role":"user","content":"What is 2+2?"},
             {"role":"assistant","content":[{"type":"text","text":"4"}]},
             {"role":"robot","content":"beep"},
             "not an object",
             {"role":"developer","content":"Answer in French."}]
            """;
        var first = await ImportAsync(owner, chat, "format=chat&external_id=chat-1&title=Arithmetic");
        first.Messages.ShouldBe(4);
        first.Errors.Select(e => e.Line).ShouldBe([4L, 5L]);
        var session = await owner.Client.GetJsonAsync<WorkSessionResponse>($"{owner.OrgPath}/work-sessions/{first.WorkSessionIds.Single()}");
        (session.Tool, session.Title, session.ExternalId).ShouldBe(("other", "Arithmetic", "chat-1"));
        var timeline = await owner.Client.GetJsonAsync<TimelineResponse>($"{owner.OrgPath}/work-sessions/{session.Id}/timeline");
        timeline.Items.Select(m => m.Role).ShouldBe(["system", "user", "assistant", "system"]);
        timeline.Items[2].ParentId.ShouldBe(timeline.Items[1].Id);
        (await ImportAsync(owner, chat, "format=chat&external_id=chat-1")).Messages.ShouldBe(0);

        (await ImportAsync(owner, "{\"not\":\"an array\"}", "format=chat&external_id=chat-2")).Errors.ShouldNotBeEmpty();
        var noFormat = await owner.Client.Http.PostAsync($"{owner.OrgPath}/work-sessions/import", new StringContent("[]"));
        noFormat.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }
}

public sealed class TranscriptImportTestsOnSqlite(SqliteApp app) : TranscriptImportTests<SqliteApp>(app);

public sealed class TranscriptImportTestsOnPostgres(PostgresApp app) : TranscriptImportTests<PostgresApp>(app);

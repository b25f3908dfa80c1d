using System.Net;
using System.Text.Json;
using Coditect.Contracts.DevContext;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.DevContext.WorkSessions;

/// <summary>The console's work-session pages over HTTP (list, timeline, export, delete, search), on each backend.</summary>
public abstract class WorkSessionPagesTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    private async Task<HttpClient> ConsoleAsync(Caller caller)
    {
        var browser = app.Browser();
        (await browser.SignInAsync(caller.Email)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        return browser.Http;
    }

    private static async Task<string> PageAsync(HttpClient http, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await http.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(expected, html);
        return html;
    }

    private static async Task<WorkSessionResponse> SessionAsync(Caller owner, string title, string tool = "claude-code", Guid? projectId = null, DateTime? startedAt = null)
    {
        var response = await owner.Client.PostAsync($"{owner.OrgPath}/work-sessions",
            new CreateWorkSessionRequest(tool, projectId, Model: "claude-opus-4", Title: title, StartedAt: startedAt, EndedAt: startedAt?.AddMinutes(90)));
        return await response.ReadAsync<WorkSessionResponse>(HttpStatusCode.Created);
    }

    [Fact]
    public async Task The_list_shows_the_columns_filters_by_project_tool_and_member_and_pages_by_cursor()
    {
        var owner = await _anonymous.RegisterAsync();
        var project = await owner.CreateProjectAsync("Orion");
        var start = new DateTime(2026, 11, 1, 9, 0, 0, DateTimeKind.Utc);
        var sessions = new List<WorkSessionResponse>();
        for (var i = 0; i < 5; i++)
        {
            sessions.Add(await SessionAsync(owner, $"Session number {i}", i == 4 ? "codex" : "claude-code", i == 3 ? project.Id : null, start.AddHours(i)));
        }

        await owner.AppendOkAsync(sessions[4].Id, WorkSessionSteps.Say("one"), WorkSessionSteps.Say("two", role: "assistant"));
        var http = await ConsoleAsync(owner);
        var slug = owner.OrgSlug;

        var html = await PageAsync(http, $"/orgs/{slug}/work-sessions");
        html.ShouldContain($"href=\"/orgs/{slug}/work-sessions\" aria-current=\"page\">Work sessions</a>", Case.Sensitive, "linked from the org navigation");
        var newest = Row(html, sessions[4].Id);
        newest.ShouldContain("codex");
        newest.ShouldContain("claude-opus-4");
        newest.ShouldContain("Test User");
        newest.ShouldContain("2026-11-01 13:00 UTC");
        newest.ShouldContain("1 h 30 min");
        newest.ShouldContain("<td>2</td>");
        Row(html, sessions[3].Id).ShouldContain("Orion");
        html.IndexOf(sessions[4].Id.ToString(), StringComparison.Ordinal).ShouldBeLessThan(html.IndexOf(sessions[0].Id.ToString(), StringComparison.Ordinal), "newest first");

        Ids(await PageAsync(http, $"/orgs/{slug}/work-sessions?tool=codex")).ShouldBe([sessions[4].Id]);
        Ids(await PageAsync(http, $"/orgs/{slug}/work-sessions?project_id={project.Id}")).ShouldBe([sessions[3].Id]);
        Ids(await PageAsync(http, $"/orgs/{slug}/work-sessions?user_id={owner.UserId}")).Count.ShouldBe(5);
        Ids(await PageAsync(http, $"/orgs/{slug}/work-sessions?user_id={Guid.NewGuid()}")).ShouldBeEmpty();

        var seen = new List<Guid>();
        var next = $"/orgs/{slug}/work-sessions?page_size=2";
        while (next is not null)
        {
            var page = await PageAsync(http, next);
            seen.AddRange(Ids(page));
            var older = System.Text.RegularExpressions.Regex.Match(page, "<a class=\"btn\" href=\"([^\"]+)\">Older</a>");
            next = older.Success ? WebUtility.HtmlDecode(older.Groups[1].Value) : null;
        }

        seen.ShouldBe(sessions.Select(s => s.Id).Reverse().ToList(), "every session once, newest first");
    }

    [Fact]
    public async Task The_timeline_is_a_chat_with_folded_blocks_side_threads_pages_of_200_an_export_and_text_never_markup()
    {
        var owner = await _anonymous.RegisterAsync();
        var session = await SessionAsync(owner, "Fix the build");
        var first = await owner.AppendOkAsync(session.Id,
            WorkSessionSteps.Say("Why is <script>alert('x')</script> in the page?"),
            new MessageInput("assistant", Blocks: [new ContentBlock("thinking", Text: "Check the encoder."),
                new ContentBlock("tool_use", Name: "Bash", Input: JsonDocument.Parse("""{"command":"grep -r script"}""").RootElement)]),
            new MessageInput("tool", Blocks: [new ContentBlock("tool_result", Content: "no match", IsError: true)]));
        var conversations = await owner.Client.GetJsonAsync<List<ConversationResponse>>($"{owner.OrgPath}/work-sessions/{session.Id}/conversations");
        var side = await (await owner.Client.PostAsync($"{owner.OrgPath}/work-sessions/{session.Id}/conversations",
            new CreateConversationRequest("Agent looks around", ParentId: conversations.Single().Id))).ReadAsync<ConversationResponse>(HttpStatusCode.Created);
        await (await owner.Client.PostAsync($"{owner.OrgPath}/work-sessions/{session.Id}/conversations/{side.Id}/messages",
            new MessageBatchRequest([WorkSessionSteps.Say("side thread work", role: "assistant")]))).ReadAsync<MessageBatchResponse>(HttpStatusCode.OK);
        var http = await ConsoleAsync(owner);
        var path = $"/orgs/{owner.OrgSlug}/work-sessions/{session.Id}";

        var html = await PageAsync(http, path);
        html.ShouldContain("Why is &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; in the page?");
        html.ShouldNotContain("<script>alert", Case.Insensitive);
        html.ShouldContain($"<article class=\"msg user \" id=\"m-{first.Ids[0]}\"");
        html.ShouldContain("<details class=\"block thinking\"><summary>Thinking</summary><pre>Check the encoder.</pre></details>");
        html.ShouldContain("<summary>Tool call: <code>Bash</code></summary>");
        html.ShouldContain("<summary>Tool result (error)</summary><pre>no match</pre>");
        html.ShouldContain($"<h3 class=\"thread-head side\" id=\"c-{side.Id}\">Side thread: Agent looks around</h3>");
        html.ShouldContain($"href=\"{path}?conversation_id={side.Id}\"");
        html.IndexOf($"m-{first.Ids[2]}", StringComparison.Ordinal).ShouldBeLessThan(html.IndexOf("side thread work", StringComparison.Ordinal), "the main thread, then side threads");
        html.ShouldContain($"href=\"{path}?handler=export\"");
        var onlySide = await PageAsync(http, $"{path}?conversation_id={side.Id}");
        onlySide.ShouldContain("side thread work");
        onlySide.ShouldNotContain($"id=\"m-{first.Ids[0]}\"");

        var export = await http.GetAsync($"{path}?handler=export");
        export.StatusCode.ShouldBe(HttpStatusCode.OK);
        export.Content.Headers.ContentType!.MediaType.ShouldBe("application/x-ndjson");
        (await export.Content.ReadAsStringAsync()).ShouldContain("Why is <script>alert('x')</script> in the page?", Case.Sensitive, "the export carries the text as it is");

        await owner.AppendOkAsync(session.Id, [.. Enumerable.Range(0, 205).Select(i => WorkSessionSteps.Say($"line {i}"))]);
        var page1 = await PageAsync(http, path);
        Count(page1, "<article class=\"msg ").ShouldBe(200);
        var next = System.Text.RegularExpressions.Regex.Match(page1, "<a class=\"btn\" href=\"([^\"]+)\">Next page</a>");
        next.Success.ShouldBeTrue();
        var page2 = await PageAsync(http, WebUtility.HtmlDecode(next.Groups[1].Value));
        Count(page2, "<article class=\"msg ").ShouldBe(209 - 200);
        page2.ShouldContain("side thread work");
        page2.ShouldContain(">line 204<");
        page2.ShouldNotContain(">line 196<");
        (await PageAsync(http, $"{path}?cursor=bogus")).ShouldContain("is not a page of this timeline");
    }

    [Fact]
    public async Task Another_organizations_session_is_404_and_a_viewer_reads_but_cannot_delete()
    {
        var owner = await _anonymous.RegisterAsync();
        var session = await SessionAsync(owner, "Keep me");
        var stranger = await _anonymous.RegisterAsync();
        var strangerHttp = await ConsoleAsync(stranger);
        foreach (var suffix in new[] { "", "/delete", "?handler=export" })
        {
            await PageAsync(strangerHttp, $"/orgs/{stranger.OrgSlug}/work-sessions/{session.Id}{suffix}", HttpStatusCode.NotFound);
            await PageAsync(strangerHttp, $"/orgs/{owner.OrgSlug}/work-sessions/{session.Id}{suffix}", HttpStatusCode.NotFound);
        }

        var viewer = await owner.AddMemberAsync("viewer");
        var viewerBrowser = app.Browser();
        (await viewerBrowser.SignInAsync(viewer.Email)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var path = $"/orgs/{owner.OrgSlug}/work-sessions/{session.Id}";
        var html = await PageAsync(viewerBrowser.Http, path);
        html.ShouldContain("Keep me");
        html.ShouldNotContain($"href=\"{path}/delete\"");
        await PageAsync(viewerBrowser.Http, $"/orgs/{owner.OrgSlug}/work-sessions");
        await PageAsync(viewerBrowser.Http, $"/orgs/{owner.OrgSlug}/messages/search?q=keep");
        await PageAsync(viewerBrowser.Http, $"{path}/delete", HttpStatusCode.Forbidden);
        (await viewerBrowser.PostFormAsync(path, new Dictionary<string, string>(), $"{path}/delete")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await owner.Client.GetAsync($"{owner.OrgPath}/work-sessions/{session.Id}")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var ownerBrowser = app.Browser();
        (await ownerBrowser.SignInAsync(owner.Email)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await PageAsync(ownerBrowser.Http, path)).ShouldContain($"href=\"{path}/delete\"");
        (await PageAsync(ownerBrowser.Http, $"{path}/delete")).ShouldContain("Delete work session");
        var deleted = await ownerBrowser.PostFormAsync($"{path}/delete", new Dictionary<string, string>());
        deleted.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        deleted.Headers.Location!.OriginalString.ShouldBe($"/orgs/{owner.OrgSlug}/work-sessions");
        await PageAsync(ownerBrowser.Http, path, HttpStatusCode.NotFound);
        (await owner.Client.GetAsync($"{owner.OrgPath}/work-sessions/{session.Id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Search_shows_ranked_hits_with_safe_highlights_linked_into_the_timeline_and_filters()
    {
        var owner = await _anonymous.RegisterAsync();
        var session = await SessionAsync(owner, "Walrus migration");
        var batch = await owner.AppendOkAsync(session.Id,
            WorkSessionSteps.Say("the zebra said <script>alert(1)</script> & <b>bold</b> zebra"),
            WorkSessionSteps.Say("a quiet zebra", role: "assistant"));
        var other = await SessionAsync(owner, "Other", tool: "codex");
        await owner.AppendOkAsync(other.Id, WorkSessionSteps.Say("zebra crossing"));
        var stranger = await _anonymous.RegisterAsync();
        var strangerSession = await SessionAsync(stranger, "Stranger");
        await stranger.AppendOkAsync(strangerSession.Id, WorkSessionSteps.Say("zebra of another organization"));
        var http = await ConsoleAsync(owner);
        var search = $"/orgs/{owner.OrgSlug}/messages/search";

        (await PageAsync(http, search)).ShouldNotContain("id=\"search-results\"", Case.Sensitive, "no query, no search");
        var html = await PageAsync(http, $"{search}?q=zebra");
        Count(html, "<li class=\"result\"").ShouldBe(3);
        html.ShouldNotContain("another organization");
        html.ShouldContain("the <mark>zebra</mark> said &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt; <mark>zebra</mark>");
        html.ShouldNotContain("<script>alert", Case.Insensitive);
        html.ShouldNotContain("<b>bold", Case.Insensitive);
        var link = System.Text.RegularExpressions.Regex.Match(html, $"href=\"(/orgs/[^\"]+#m-{batch.Ids[1]})\"");
        link.Success.ShouldBeTrue();
        (await PageAsync(http, WebUtility.HtmlDecode(link.Groups[1].Value).Split('#')[0])).ShouldContain($"id=\"m-{batch.Ids[1]}\"");

        Count(await PageAsync(http, $"{search}?q=zebra&tool=codex"), "<li class=\"result\"").ShouldBe(1);
        Count(await PageAsync(http, $"{search}?q=zebra&role=assistant"), "<li class=\"result\"").ShouldBe(1);
        Count(await PageAsync(http, $"{search}?q=zebra&work_session_id={session.Id}"), "<li class=\"result\"").ShouldBe(2);
        var paged = await PageAsync(http, $"{search}?q=zebra&page_size=2");
        Count(paged, "<li class=\"result\"").ShouldBe(2);
        var more = System.Text.RegularExpressions.Regex.Match(paged, "<a class=\"btn\" href=\"([^\"]+)\">More results</a>");
        Count(await PageAsync(http, WebUtility.HtmlDecode(more.Groups[1].Value)), "<li class=\"result\"").ShouldBe(1);

        var title = await PageAsync(http, $"{search}?q=walrus");
        title.ShouldContain("data-kind=\"conversation\"");
        title.ShouldContain("<mark>Walrus</mark> migration");
        (await PageAsync(http, $"{search}?q=-zebra")).ShouldContain("needs at least one word or phrase that is not excluded.");
        (await PageAsync(http, $"{search}?q=nothinglikethis")).ShouldContain("No message matches.");
    }

    private static List<Guid> Ids(string html) =>
        [.. System.Text.RegularExpressions.Regex.Matches(html, "<tr data-session=\"([0-9a-f-]{36})\">").Select(m => Guid.Parse(m.Groups[1].Value))];

    private static string Row(string html, Guid id)
    {
        var start = html.IndexOf($"<tr data-session=\"{id}\">", StringComparison.Ordinal);
        start.ShouldBeGreaterThanOrEqualTo(0, $"a row for {id}");
        return html[start..html.IndexOf("</tr>", start, StringComparison.Ordinal)];
    }

    private static int Count(string html, string needle) => (html.Length - html.Replace(needle, "", StringComparison.Ordinal).Length) / needle.Length;
}

public sealed class WorkSessionPagesTestsOnSqlite(SqliteApp app) : WorkSessionPagesTests<SqliteApp>(app);

public sealed class WorkSessionPagesTestsOnPostgres(PostgresApp app) : WorkSessionPagesTests<PostgresApp>(app);

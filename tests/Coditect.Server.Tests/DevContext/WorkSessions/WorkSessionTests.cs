using System.Net;
using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Data;
using Coditect.Server.DevContext.WorkSessions;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.DevContext.WorkSessions;

public abstract class WorkSessionTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task Identical_contents_are_stored_once_per_organization_and_a_re_sent_external_id_adds_nothing()
    {
        var owner = await _anonymous.RegisterAsync();
        var session = await owner.CreateWorkSessionAsync(externalId: $"cc-{Guid.NewGuid():N}");
        session.Tool.ShouldBe("claude-code");
        session.Tags.ShouldBe(["t1"]);

        var first = await owner.AppendOkAsync(session.Id,
            WorkSessionSteps.Say("run the tests", externalId: "m1"),
            WorkSessionSteps.Say("run the tests", externalId: "m2"),
            new MessageInput("assistant", Blocks: [new ContentBlock("thinking", Text: "plan"), new ContentBlock("tool_use", Name: "Bash",
                Input: JsonDocument.Parse("""{"command":"dotnet test","timeout":60}""").RootElement)], ExternalId: "m3", ParentExternalId: "m2",
                Model: "claude-sonnet-4", Usage: new TokenUsage(10, 20, 30, 40)));
        first.Inserted.ShouldBe(3);
        first.NewContents.ShouldBe(2, "two messages share one content");
        first.NewBytes.ShouldBeGreaterThan(0);

        var again = await owner.AppendOkAsync(session.Id, WorkSessionSteps.Say("run the tests", externalId: "m1"), WorkSessionSteps.Say("new", externalId: "m4"));
        (again.Received, again.Inserted, again.AlreadyKnown, again.NewContents).ShouldBe((2, 1, 1, 1));
        again.Ids[0].ShouldBe(first.Ids[0], "a known external id answers the stored message's id");

        var timeline = await owner.Client.GetJsonAsync<TimelineResponse>($"{owner.OrgPath}/work-sessions/{session.Id}/timeline");
        timeline.WorkSession.MessageCount.ShouldBe(4);
        timeline.Items.Select(m => m.Position).ShouldBe([0, 1, 2, 3]);
        timeline.Items[0].ContentHash.ShouldBe(timeline.Items[1].ContentHash);
        var tool = timeline.Items[2];
        tool.ParentId.ShouldBe(first.Ids[1]);
        tool.Usage.ShouldBe(new TokenUsage(10, 20, 30, 40));
        tool.Blocks.Select(b => b.Type).ShouldBe(["thinking", "tool_use"]);
        tool.Blocks[1].Input!.Value.GetProperty("timeout").GetInt32().ShouldBe(60);
        timeline.Conversations.Single().ExternalId.ShouldBe("main");

        // The same words in another organization hash the same but are its own content.
        var stranger = await _anonymous.RegisterAsync();
        var theirs = await stranger.CreateWorkSessionAsync();
        (await stranger.AppendOkAsync(theirs.Id, WorkSessionSteps.Say("run the tests"))).NewContents.ShouldBe(1);
        var usage = await owner.Client.GetJsonAsync<ContentUsageResponse>($"{owner.OrgPath}/message-contents/{timeline.Items[0].ContentHash}");
        usage.Messages.ShouldBe(2, "the other organization's message is not counted");
        usage.Items.Select(i => i.MessageId).ShouldBe([first.Ids[0], first.Ids[1]], ignoreOrder: true);
    }

    [Fact]
    public async Task Where_a_content_appears_is_found_by_hash_or_by_content_and_paged()
    {
        var owner = await _anonymous.RegisterAsync();
        var a = await owner.CreateWorkSessionAsync();
        var b = await owner.CreateWorkSessionAsync();
        await owner.AppendOkAsync(a.Id, WorkSessionSteps.Say("shared words"), WorkSessionSteps.Say("shared words"));
        await owner.AppendOkAsync(b.Id, WorkSessionSteps.Say("shared words"));

        var lookup = await (await owner.Client.PostAsync($"{owner.OrgPath}/message-contents/lookup?page_size=2", new HashContentRequest("shared words")))
            .ReadAsync<ContentUsageResponse>(HttpStatusCode.OK);
        lookup.Messages.ShouldBe(3);
        lookup.Items.Count.ShouldBe(2);
        var rest = await owner.Client.GetJsonAsync<ContentUsageResponse>(
            $"{owner.OrgPath}/message-contents/{lookup.Hash}?page_size=2&cursor={lookup.NextCursor}");
        rest.Items.Count.ShouldBe(1);
        rest.NextCursor.ShouldBeNull();
        lookup.Items.Concat(rest.Items).Select(i => i.WorkSessionId).Distinct().ShouldBe([a.Id, b.Id], ignoreOrder: true);

        await (await owner.Client.PostAsync($"{owner.OrgPath}/message-contents/lookup", new HashContentRequest("never said")))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.ContentNotFound);
        await (await owner.Client.GetAsync($"{owner.OrgPath}/message-contents/{new string('a', 64)}"))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.ContentNotFound);
        (await (await owner.Client.GetAsync($"{owner.OrgPath}/message-contents/not-a-hash"))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed)).GetProperty("errors").TryGetProperty("hash", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Deleting_a_work_session_removes_its_messages_and_only_the_contents_nothing_else_uses()
    {
        var owner = await _anonymous.RegisterAsync();
        var doomed = await owner.CreateWorkSessionAsync();
        var kept = await owner.CreateWorkSessionAsync();
        await owner.AppendOkAsync(doomed.Id, WorkSessionSteps.Say("only here"), WorkSessionSteps.Say("in both"));
        var side = await (await owner.Client.PostAsync($"{owner.OrgPath}/work-sessions/{doomed.Id}/conversations",
            new CreateConversationRequest("side", ParentId: (await Conversations(owner, doomed.Id)).Single().Id))).ReadAsync<ConversationResponse>(HttpStatusCode.Created);
        (await owner.Client.PostAsync($"{owner.OrgPath}/work-sessions/{doomed.Id}/conversations/{side.Id}/messages",
            new MessageBatchRequest([WorkSessionSteps.Say("side thread words")]))).StatusCode.ShouldBe(HttpStatusCode.OK);
        await owner.AppendOkAsync(kept.Id, WorkSessionSteps.Say("in both"));
        var hashes = (await owner.Client.GetJsonAsync<TimelineResponse>($"{owner.OrgPath}/work-sessions/{doomed.Id}/timeline")).Items
            .ToDictionary(m => m.Text, m => m.ContentHash);
        hashes.Count.ShouldBe(3);

        (await owner.Client.DeleteAsync($"{owner.OrgPath}/work-sessions/{doomed.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await (await owner.Client.GetAsync($"{owner.OrgPath}/work-sessions/{doomed.Id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.WorkSessionNotFound);
        await (await owner.Client.GetAsync($"{owner.OrgPath}/message-contents/{hashes["only here"]}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.ContentNotFound);
        await (await owner.Client.GetAsync($"{owner.OrgPath}/message-contents/{hashes["side thread words"]}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.ContentNotFound);
        (await owner.Client.GetJsonAsync<ContentUsageResponse>($"{owner.OrgPath}/message-contents/{hashes["in both"]}")).Messages.ShouldBe(1);
        (await owner.SearchAsync("only")).Items.ShouldBeEmpty("the search index entry went with the content");
        (await owner.SearchAsync("both")).Items.Single().WorkSessionId.ShouldBe(kept.Id);
        var stats = await owner.Client.GetJsonAsync<WorkSessionStatsResponse>($"{owner.OrgPath}/work-sessions/stats");
        (stats.WorkSessions, stats.Messages, stats.UniqueContents).ShouldBe((1, 1L, 1L));
    }

    [Fact]
    public async Task The_timeline_pages_through_the_main_thread_then_side_threads()
    {
        var owner = await _anonymous.RegisterAsync();
        var session = await owner.CreateWorkSessionAsync();
        await owner.AppendOkAsync(session.Id, [.. Enumerable.Range(0, 5).Select(i => WorkSessionSteps.Say($"main {i}"))]);
        var main = (await Conversations(owner, session.Id)).Single();
        var side = await (await owner.Client.PostAsync($"{owner.OrgPath}/work-sessions/{session.Id}/conversations",
            new CreateConversationRequest("agent", ParentId: main.Id, ExternalId: "agent-1"))).ReadAsync<ConversationResponse>(HttpStatusCode.Created);
        (await owner.Client.PostAsync($"{owner.OrgPath}/work-sessions/{session.Id}/conversations/{side.Id}/messages",
            new MessageBatchRequest([.. Enumerable.Range(0, 3).Select(i => WorkSessionSteps.Say($"side {i}"))]))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var texts = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await owner.Client.GetJsonAsync<TimelineResponse>(
                $"{owner.OrgPath}/work-sessions/{session.Id}/timeline?page_size=3{(cursor is null ? "" : "&cursor=" + cursor)}");
            page.Items.Count.ShouldBeLessThanOrEqualTo(3);
            texts.AddRange(page.Items.Select(m => m.Text));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null && pages < 10);

        texts.ShouldBe(["main 0", "main 1", "main 2", "main 3", "main 4", "side 0", "side 1", "side 2"]);
        var only = await owner.Client.GetJsonAsync<TimelineResponse>($"{owner.OrgPath}/work-sessions/{session.Id}/timeline?conversation_id={side.Id}");
        only.Items.Select(m => m.Text).ShouldBe(["side 0", "side 1", "side 2"]);
        only.Conversations.Single(c => c.Id == side.Id).MessageCount.ShouldBe(3);
        (await owner.Client.PostAsync($"{owner.OrgPath}/work-sessions/{session.Id}/conversations", new CreateConversationRequest("again", ExternalId: "agent-1")))
            .StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Lists_page_by_keyset_and_filter_and_an_external_id_is_unique_per_tool()
    {
        var owner = await _anonymous.RegisterAsync();
        var project = await owner.CreateProjectAsync();
        var start = app.Clock.GetUtcNow().UtcDateTime.AddDays(-10);
        for (var i = 0; i < 5; i++)
        {
            await owner.CreateWorkSessionAsync(projectId: i % 2 == 0 ? project.Id : null, startedAt: start.AddHours(i), externalId: $"x{i}");
        }

        var all = await owner.AllPagesAsync<WorkSessionResponse>($"{owner.OrgPath}/work-sessions?page_size=2");
        all.Select(s => s.ExternalId).ShouldBe(["x4", "x3", "x2", "x1", "x0"]);
        (await owner.AllPagesAsync<WorkSessionResponse>($"{owner.OrgPath}/work-sessions?project_id={project.Id}&sort=started_at"))
            .Select(s => s.ExternalId).ShouldBe(["x0", "x2", "x4"]);
        var duplicate = await owner.Client.PostAsync($"{owner.OrgPath}/work-sessions", new CreateWorkSessionRequest("claude-code", ExternalId: "x1"));
        (await duplicate.ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.ExternalIdTaken)).GetProperty("id").GetGuid().ShouldBe(all[3].Id);
        (await owner.Client.PostAsync($"{owner.OrgPath}/work-sessions", new CreateWorkSessionRequest("codex", ExternalId: "x1"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        var ended = await owner.CreateWorkSessionAsync(startedAt: start, endedAt: start.AddMinutes(90));
        ended.DurationSeconds.ShouldBe(5400);
    }

    [Fact]
    public async Task Bad_messages_are_400_naming_the_field_and_nothing_of_the_batch_is_kept()
    {
        var owner = await _anonymous.RegisterAsync();
        var session = await owner.CreateWorkSessionAsync();

        async Task Refused(string field, params MessageInput[] messages)
        {
            var response = await owner.AppendAsync(session.Id, messages);
            var errors = (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed)).GetProperty("errors");
            errors.TryGetProperty(field, out _).ShouldBeTrue($"{field} in {errors}");
        }

        await Refused("messages[1].text", WorkSessionSteps.Say("fine"), WorkSessionSteps.Say("a\0b"));
        await Refused("messages[0].role", WorkSessionSteps.Say("x", role: "robot"));
        await Refused("messages[0].blocks[0].type", new MessageInput("user", Blocks: [new ContentBlock("image")]));
        await Refused("messages[0].blocks[0].name", new MessageInput("assistant", Blocks: [new ContentBlock("tool_use")]));
        await Refused("messages[0].blocks", new MessageInput("user"));
        await Refused("messages[0].usage.input_tokens", WorkSessionSteps.Say("x") with { Usage = new TokenUsage(-1) });
        await Refused("messages[0].parent_id", WorkSessionSteps.Say("x") with { ParentId = Guid.NewGuid() });
        await Refused("messages", [.. Enumerable.Range(0, 1001).Select(i => WorkSessionSteps.Say($"m{i}"))]);
        await Refused("messages");

        // A lone surrogate in the JSON body is refused before the handler, naming the field.
        var raw = new StringContent("{\"messages\":[{\"role\":\"user\",\"text\":\"a\\ud800b\"}]}", System.Text.Encoding.UTF8, "application/json");
        var lone = await owner.Client.Http.PostAsync($"{owner.OrgPath}/work-sessions/{session.Id}/messages", raw);
        (await lone.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed)).GetProperty("errors").TryGetProperty("messages[0].text", out _).ShouldBeTrue();

        (await owner.AppendOkAsync(session.Id, WorkSessionSteps.Say("multi\nline\ttext\u0001"))).Inserted.ShouldBe(1, "message text is long text");
        (await owner.Client.GetJsonAsync<WorkSessionResponse>($"{owner.OrgPath}/work-sessions/{session.Id}")).MessageCount.ShouldBe(1);
    }

    [Fact]
    public async Task A_full_batch_of_a_thousand_messages_goes_in_at_once()
    {
        var owner = await _anonymous.RegisterAsync();
        var session = await owner.CreateWorkSessionAsync();
        var batch = await owner.AppendOkAsync(session.Id, [.. Enumerable.Range(0, 1000).Select(i => WorkSessionSteps.Say($"message {i % 700}", externalId: $"e{i}"))]);
        batch.Inserted.ShouldBe(1000);
        batch.NewContents.ShouldBe(700);
        var last = await owner.Client.GetJsonAsync<TimelineResponse>($"{owner.OrgPath}/work-sessions/{session.Id}/timeline?page_size=100");
        last.Items[99].Position.ShouldBe(99);
    }

    [Fact]
    public async Task Viewers_read_but_do_not_write_and_another_organizations_session_is_404()
    {
        var owner = await _anonymous.RegisterAsync();
        var viewer = await owner.AddMemberAsync("viewer");
        var session = await owner.CreateWorkSessionAsync();
        await owner.AppendOkAsync(session.Id, WorkSessionSteps.Say("hello"));

        (await viewer.Client.GetAsync($"{owner.OrgPath}/work-sessions/{session.Id}/timeline")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await viewer.Client.PostAsync($"{owner.OrgPath}/work-sessions", new CreateWorkSessionRequest("other"))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await viewer.Client.PostAsync($"{owner.OrgPath}/work-sessions/{session.Id}/messages", new MessageBatchRequest([WorkSessionSteps.Say("x")])))
            .StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await viewer.Client.DeleteAsync($"{owner.OrgPath}/work-sessions/{session.Id}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        var stranger = await _anonymous.RegisterAsync();
        var path = $"{stranger.OrgPath}/work-sessions/{session.Id}";
        await (await stranger.Client.GetAsync(path)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.WorkSessionNotFound);
        await (await stranger.Client.GetAsync($"{path}/timeline")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.WorkSessionNotFound);
        await (await stranger.AppendAsync(session.Id, WorkSessionSteps.Say("x"))).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.WorkSessionNotFound);
        await (await stranger.Client.DeleteAsync(path)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.WorkSessionNotFound);
        await (await stranger.Client.GetAsync($"{path}/export")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.WorkSessionNotFound);
        await (await stranger.Client.PostAsync($"{stranger.OrgPath}/work-sessions", new CreateWorkSessionRequest("other", ProjectId: (await owner.CreateProjectAsync()).Id)))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.ProjectNotFound);
    }

    [Fact]
    public async Task Creating_and_appending_raise_outbox_events_in_the_same_transaction()
    {
        var owner = await _anonymous.RegisterAsync();
        var session = await owner.CreateWorkSessionAsync();
        await owner.AppendOkAsync(session.Id, WorkSessionSteps.Say("evented"));
        (await owner.Client.DeleteAsync($"{owner.OrgPath}/work-sessions/{session.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync();
        if (app.Provider == DatabaseProvider.Postgres)
        {
            await db.Database.ExecuteSqlAsync($"select set_config('app.tenant_id', {owner.OrgId.ToString()}, true)"); // row-level security
        }

        var types = await db.Database.SqlQuery<string>($"select type as \"Value\" from outbox where tenant_id = {owner.OrgId} order by seq").ToListAsync();
        types.ShouldContain("work_session.created");
        types.ShouldContain("messages.appended");
        types.ShouldContain("work_session.deleted");
        types.IndexOf("messages.appended").ShouldBeLessThan(types.IndexOf("work_session.deleted"));
    }

    private async Task<List<ConversationResponse>> Conversations(Caller caller, Guid sessionId) =>
        await caller.Client.GetJsonAsync<List<ConversationResponse>>($"{caller.OrgPath}/work-sessions/{sessionId}/conversations");
}

public sealed class WorkSessionTestsOnSqlite(SqliteApp app) : WorkSessionTests<SqliteApp>(app);

public sealed class WorkSessionTestsOnPostgres(PostgresApp app) : WorkSessionTests<PostgresApp>(app);

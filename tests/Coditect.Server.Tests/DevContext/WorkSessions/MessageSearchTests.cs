using System.Net;
using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Coditect.Server.Tests.DevContext.WorkSessions;

public abstract class MessageSearchTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    private async Task<(Caller Owner, WorkSessionResponse Session, MessageBatchResponse Batch)> SeedAsync(string word)
    {
        var owner = await _anonymous.RegisterAsync();
        var session = await owner.CreateWorkSessionAsync();
        var batch = await owner.AppendOkAsync(session.Id,
            WorkSessionSteps.Say($"please {word} the release notes to staging"),
            WorkSessionSteps.Say($"{word} to production now", role: "assistant", model: "claude-opus-4"),
            WorkSessionSteps.Say("configure the Config.cs settings and café menus"),
            new MessageInput("assistant", Blocks: [new ContentBlock("thinking", Text: $"a secret plan to {word} quietly")]),
            new MessageInput("tool", Blocks: [new ContentBlock("tool_result", Content: "build log: xylophone warnings")]),
            new MessageInput("assistant", Blocks: [new ContentBlock("tool_use", Name: "Bash", Input: JsonDocument.Parse("""{"command":"marimba --fast"}""").RootElement)]));
        return (owner, session, batch);
    }

    [Fact]
    public async Task Words_phrases_exclusions_and_prefixes_find_what_they_say_with_highlighted_snippets()
    {
        var (owner, _, batch) = await SeedAsync("deploy");

        async Task<List<Guid>> Find(string q, string extra = "") => [.. (await owner.SearchAsync(q, extra)).Items.Select(h => h.MessageId)];

        (await Find("deploy")).ShouldBe([batch.Ids[0], batch.Ids[1]], ignoreOrder: true);
        (await Find("DEPLOY release")).ShouldBe([batch.Ids[0]]);
        (await Find("\"release notes\"")).ShouldBe([batch.Ids[0]]);
        (await Find("\"notes release\"")).ShouldBeEmpty("a phrase keeps its order");
        (await Find("deploy -staging")).ShouldBe([batch.Ids[1]]);
        (await Find("deploy -\"release notes\"")).ShouldBe([batch.Ids[1]]);
        (await Find("conf*")).ShouldBe([batch.Ids[2]]);
        (await Find("Config.cs")).ShouldBe([batch.Ids[2]]);
        (await Find("cafe")).ShouldBe([batch.Ids[2]], "diacritics are folded");
        (await Find("secret")).ShouldBeEmpty("thinking is searched only when asked");
        (await Find("secret", "&include=thinking")).ShouldBe([batch.Ids[3]]);
        (await Find("deploy", "&include=thinking")).Count.ShouldBe(3);
        (await Find("xylophone")).ShouldBeEmpty("tool results are searched only when asked");
        (await Find("xylophone", "&include=tool_results")).ShouldBe([batch.Ids[4]]);
        (await Find("marimba", "&include=thinking,tool_results")).ShouldBe([batch.Ids[5]]);

        var hit = (await owner.SearchAsync("release")).Items.Single();
        hit.Snippet.ShouldBe("please deploy the <mark>release</mark> notes to staging");
        (await owner.SearchAsync("secret", "&include=thinking")).Items.Single().Snippet.ShouldContain("<mark>secret</mark>");
    }

    [Fact]
    public async Task Filters_narrow_the_hits_and_ranking_puts_the_denser_match_first()
    {
        var (owner, session, batch) = await SeedAsync("deploy");
        var project = await owner.CreateProjectAsync();
        var other = await owner.CreateWorkSessionAsync(projectId: project.Id, tool: "codex");
        var later = await owner.AppendOkAsync(other.Id, WorkSessionSteps.Say("deploy deploy deploy, then deploy again"));

        async Task<List<Guid>> Find(string extra) => [.. (await owner.SearchAsync("deploy", extra)).Items.Select(h => h.MessageId)];

        (await Find("")).First().ShouldBe(later.Ids[0], "the denser match ranks first");
        (await Find("&role=assistant")).ShouldBe([batch.Ids[1]]);
        (await Find("&model=claude-opus-4")).ShouldBe([batch.Ids[1]]);
        (await Find($"&work_session_id={session.Id}")).ShouldBe([batch.Ids[0], batch.Ids[1]], ignoreOrder: true);
        (await Find($"&project_id={project.Id}")).ShouldBe([later.Ids[0]]);
        (await Find("&tool=codex")).ShouldBe([later.Ids[0]]);
        (await Find($"&user_id={owner.UserId}")).Count.ShouldBe(3);
        (await Find($"&user_id={Guid.NewGuid()}")).ShouldBeEmpty();
        var now = app.Clock.GetUtcNow().UtcDateTime;
        (await Find($"&from={now.AddDays(1):O}")).ShouldBeEmpty();
        (await Find($"&to={now.AddDays(1):O}")).Count.ShouldBe(3);
        var withProject = (await owner.SearchAsync("deploy", $"&project_id={project.Id}")).Items.Single();
        (withProject.ProjectId, withProject.WorkSessionId, withProject.Role).ShouldBe(((Guid?)project.Id, other.Id, "user"));
    }

    [Fact]
    public async Task Pages_follow_the_ranking_without_repeats()
    {
        var owner = await _anonymous.RegisterAsync();
        var session = await owner.CreateWorkSessionAsync();
        await owner.AppendOkAsync(session.Id, [.. Enumerable.Range(1, 7).Select(i => WorkSessionSteps.Say(string.Join(' ', Enumerable.Repeat("needle", i)) + $" hay{i}"))]);

        var seen = new List<SearchHit>();
        string? cursor = null;
        do
        {
            var page = await owner.SearchAsync("needle", "&page_size=3" + (cursor is null ? "" : "&cursor=" + cursor));
            seen.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        seen.Count.ShouldBe(7);
        seen.Select(h => h.MessageId).Distinct().Count().ShouldBe(7);
        seen.Select(h => h.Rank).ShouldBeInOrder(SortDirection.Descending);
    }

    [Fact]
    public async Task Another_organizations_identical_text_never_appears()
    {
        var (a, aSession, aBatch) = await SeedAsync("merger");
        var (b, bSession, bBatch) = await SeedAsync("merger");

        var aHits = (await a.SearchAsync("merger", "&include=thinking,tool_results&page_size=100")).Items;
        aHits.Select(h => h.MessageId).ShouldBe([aBatch.Ids[0], aBatch.Ids[1], aBatch.Ids[3]], ignoreOrder: true);
        aHits.ShouldAllBe(h => h.WorkSessionId == aSession.Id);
        (await b.SearchAsync("merger", "&include=thinking")).Items.Select(h => h.MessageId).ShouldBe([bBatch.Ids[0], bBatch.Ids[1], bBatch.Ids[3]], ignoreOrder: true);
        (await b.SearchAsync("merger", $"&work_session_id={aSession.Id}")).Items.ShouldBeEmpty("a filter naming another organization's session finds nothing");
        _ = bSession;

        if (app.Provider == Coditect.Server.Data.DatabaseProvider.Postgres)
        {
            // Underneath the application: the index (message_search, outside row-level security) holds both copies of the
            // text, and in B's transaction row-level security lets only B's copy through to its content and messages.
            await using var connection = new NpgsqlConnection(app.ConnectionString);
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var set = new NpgsqlCommand("select set_config('app.tenant_id', @tenant, true)", connection, transaction))
            {
                set.Parameters.AddWithValue("tenant", b.OrgId.ToString());
                await set.ExecuteScalarAsync();
            }

            await using var query = new NpgsqlCommand(
                "select distinct c.tenant_id from message_search x join message_contents c on c.id = x.content_id " +
                "join messages m on m.content_id = c.id where x.search @@ to_tsquery('simple', 'merger:ABC')", connection, transaction);
            var tenants = new List<Guid>();
            await using (var reader = await query.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    tenants.Add(reader.GetGuid(0));
                }
            }

            tenants.ShouldBe([b.OrgId]);
        }
    }

    [Fact]
    public async Task A_conversation_title_that_matches_finds_the_conversations_first_message_and_only_in_its_organization()
    {
        async Task<(Caller Owner, WorkSessionResponse Session, Guid MainFirst, Guid SideFirst, Guid Side)> SeedTitlesAsync()
        {
            var owner = await _anonymous.RegisterAsync();
            var created = await owner.Client.PostAsync($"{owner.OrgPath}/work-sessions",
                new CreateWorkSessionRequest("claude-code", Title: "Refactor the Zeppelin importer"));
            var session = await created.ReadAsync<WorkSessionResponse>(HttpStatusCode.Created);
            var main = await owner.AppendOkAsync(session.Id, WorkSessionSteps.Say("where do we start?"), WorkSessionSteps.Say("with the parser", role: "assistant"));
            var conversations = await owner.Client.GetJsonAsync<List<ConversationResponse>>($"{owner.OrgPath}/work-sessions/{session.Id}/conversations");
            var side = await (await owner.Client.PostAsync($"{owner.OrgPath}/work-sessions/{session.Id}/conversations",
                new CreateConversationRequest("Quokka side quest", ParentId: conversations.Single().Id))).ReadAsync<ConversationResponse>(HttpStatusCode.Created);
            var sideBatch = await (await owner.Client.PostAsync($"{owner.OrgPath}/work-sessions/{session.Id}/conversations/{side.Id}/messages",
                new MessageBatchRequest([WorkSessionSteps.Say("look for the parser tests")]))).ReadAsync<MessageBatchResponse>(HttpStatusCode.OK);
            return (owner, session, main.Ids[0], sideBatch.Ids[0], side.Id);
        }

        var a = await SeedTitlesAsync();
        var b = await SeedTitlesAsync();

        var zeppelin = (await a.Owner.SearchAsync("zeppelin")).Items.Single();
        (zeppelin.Kind, zeppelin.MessageId, zeppelin.WorkSessionId, zeppelin.Position, zeppelin.ConversationTitle)
            .ShouldBe((SearchHitKinds.Conversation, a.MainFirst, a.Session.Id, 0, "Refactor the Zeppelin importer"));
        zeppelin.Snippet.ShouldBe("Refactor the <mark>Zeppelin</mark> importer");
        var quokka = (await a.Owner.SearchAsync("\"quokka side\"")).Items.Single();
        (quokka.Kind, quokka.MessageId, quokka.ConversationId).ShouldBe((SearchHitKinds.Conversation, a.SideFirst, a.Side));
        (await a.Owner.SearchAsync("zepp*", "&role=assistant")).Items.ShouldBeEmpty("filters judge the conversation's first message");
        (await a.Owner.SearchAsync("zeppelin parser")).Items.ShouldBeEmpty("every word must appear in the title, or in the message");
        var parser = (await a.Owner.SearchAsync("parser")).Items;
        parser.Select(h => h.Kind).ShouldAllBe(k => k == SearchHitKinds.Message, "a text match is a message hit");
        parser.Count.ShouldBe(2);
        (await b.Owner.SearchAsync("zeppelin")).Items.Single().MessageId.ShouldBe(b.MainFirst, "another organization's identical title never appears");
        (await b.Owner.SearchAsync("zeppelin", $"&work_session_id={a.Session.Id}")).Items.ShouldBeEmpty();

        if (app.Provider == Coditect.Server.Data.DatabaseProvider.Postgres)
        {
            // Underneath the application: in B's transaction, row-level security shows only B's conversations.
            await using var connection = new NpgsqlConnection(app.ConnectionString);
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var set = new NpgsqlCommand("select set_config('app.tenant_id', @tenant, true)", connection, transaction))
            {
                set.Parameters.AddWithValue("tenant", b.Owner.OrgId.ToString());
                await set.ExecuteScalarAsync();
            }

            await using var query = new NpgsqlCommand(
                "select distinct tenant_id from conversations where title_vector @@ to_tsquery('simple', 'zeppelin:A')", connection, transaction);
            (await query.ExecuteScalarAsync()).ShouldBe(b.Owner.OrgId);
        }

        // A deleted work session takes its titles out of the index.
        (await a.Owner.Client.DeleteAsync($"{a.Owner.OrgPath}/work-sessions/{a.Session.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await a.Owner.SearchAsync("zeppelin")).Items.ShouldBeEmpty();
        if (app.Provider == Coditect.Server.Data.DatabaseProvider.Sqlite)
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<Coditect.Server.Data.CoditectDbContext>();
            var rows = await Coditect.Server.Tests.Data.DatabaseSchema.QueryAsync(db,
                $"select count(*) from conversation_search where conversation_id in ('{a.Side.ToString().ToUpperInvariant()}', '{b.Side.ToString().ToUpperInvariant()}')");
            rows.Single()[0].ShouldBe(1L, "only B's side thread is still indexed");
        }
    }

    [Fact]
    public async Task A_query_that_cannot_be_searched_is_400_naming_the_field()
    {
        var owner = await _anonymous.RegisterAsync();
        foreach (var (query, field) in new[] { ("", "q"), ("q=-only", "q"), ("q=x&include=everything", "include"), ("q=x&cursor=bogus", "cursor"),
                     ("q=x&role=robot", "role"), ("q=x&page_size=500", "page_size"), ($"q={new string('x', 201)}", "q") })
        {
            var response = await owner.Client.GetAsync($"{owner.OrgPath}/messages/search?{query}");
            (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed)).GetProperty("errors")
                .TryGetProperty(field, out _).ShouldBeTrue($"{query} names {field}");
        }
    }
}

public sealed class MessageSearchTestsOnSqlite(SqliteApp app) : MessageSearchTests<SqliteApp>(app);

public sealed class MessageSearchTestsOnPostgres(PostgresApp app) : MessageSearchTests<PostgresApp>(app);

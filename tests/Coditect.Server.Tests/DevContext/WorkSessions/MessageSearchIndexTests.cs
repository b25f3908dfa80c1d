using Coditect.Server.Data;
using Coditect.Server.DevContext.Search;
using Coditect.Server.Tenancy;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Coditect.Server.Tests.DevContext.WorkSessions;

/// <summary>
/// PostgreSQL only: the search index lives in <c>message_search</c> (migration 0024), outside row-level security, because
/// PostgreSQL never uses an index for <c>@@</c> (not leakproof) on a table a policy binds.
/// </summary>
public sealed class MessageSearchIndexTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task The_servers_role_reaches_the_matches_through_the_gin_index()
    {
        var owner = await _anonymous.RegisterAsync();
        var session = await owner.CreateWorkSessionAsync();
        await owner.AppendOkAsync(session.Id, WorkSessionSteps.Say("the ocelot escaped"), WorkSessionSteps.Say("catch the ocelot", role: "assistant"));

        // The server's own role (no BYPASSRLS), in the organization's scope; sequential scans priced out so that the
        // plan shows whether an index can serve the match at all (on a few rows a scan would win on cost alone).
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await Execute(connection, transaction, "select set_config('app.tenant_id', @tenant, true)", owner.OrgId.ToString());
        await Execute(connection, transaction, "set local enable_seqscan = off");

        var plan = await Explain(connection, transaction,
            "select x.content_id from message_search x where x.search @@ to_tsquery('simple', 'ocelot:A')", owner.OrgId.ToString());
        plan.ShouldContain("ix_message_search_search");

        // The reason for the table: the same match on a table under row-level security cannot use a GIN index.
        var policed = await Explain(connection, transaction,
            "select c.id from conversations c where c.title_vector @@ to_tsquery('simple', 'ocelot:A') and c.tenant_id = @tenant::uuid", owner.OrgId.ToString());
        policed.ShouldNotContain("ix_conversations_title_vector");
    }

    [Fact]
    public async Task The_index_answers_with_the_organizations_own_contents_only()
    {
        var vendor = await _anonymous.RegisterAsync();
        var rival = await _anonymous.RegisterAsync();
        foreach (var owner in new[] { vendor, rival })
        {
            var session = await owner.CreateWorkSessionAsync();
            await owner.AppendOkAsync(session.Id, WorkSessionSteps.Say("the quokka smiled"));
        }

        // Identical text is two contents, one per organization; the organization's lexeme (migration 0025) tells them apart
        // inside the index, before any row of messages is read.
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        (await Ids(connection, "select count(*) from message_search where search @@ to_tsquery('simple', 'quokka:A')")).ShouldBe([2L]);
        var vendorsContent = await Ids(connection,
            $"select content_id from message_search where search @@ (to_tsquery('simple', 'quokka:A') && '''@{vendor.OrgId}'''::tsquery)");
        var rivalsContent = await Ids(connection,
            $"select content_id from message_search where search @@ (to_tsquery('simple', 'quokka:A') && '''@{rival.OrgId}'''::tsquery)");
        vendorsContent.Count.ShouldBe(1);
        rivalsContent.Count.ShouldBe(1);
        vendorsContent.ShouldNotBe(rivalsContent);
    }

    [Fact]
    public async Task A_content_carries_the_lexeme_of_every_project_it_appears_in_and_a_project_search_finds_it_there()
    {
        var owner = await _anonymous.RegisterAsync();
        var alpha = await owner.CreateProjectAsync("Alpha");
        var beta = await owner.CreateProjectAsync("Beta");
        var inAlpha = await owner.CreateWorkSessionAsync(alpha.Id);
        var inBeta = await owner.CreateWorkSessionAsync(beta.Id);
        var loose = await owner.CreateWorkSessionAsync();
        await owner.AppendOkAsync(inAlpha.Id, WorkSessionSteps.Say("the numbat dug"), WorkSessionSteps.Say("only alpha has the bilby"));
        await owner.AppendOkAsync(loose.Id, WorkSessionSteps.Say("the numbat dug"));

        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        async Task<List<long>> In(Guid project, string word) =>
            await Ids(connection, $"select content_id from message_search where search @@ (to_tsquery('simple', '{word}:A') && '''#{project}'''::tsquery)");

        (await In(alpha.Id, "numbat")).Count.ShouldBe(1);
        (await In(beta.Id, "numbat")).ShouldBeEmpty("no session of Beta used the content yet, and one without a project adds no lexeme");

        // The same content met again in Beta: the stored vector gains Beta's lexeme, and a search in Beta finds it there.
        await owner.AppendOkAsync(inBeta.Id, WorkSessionSteps.Say("the numbat dug"));
        (await In(beta.Id, "numbat")).ShouldBe(await In(alpha.Id, "numbat"));
        (await In(beta.Id, "bilby")).ShouldBeEmpty();
        (await owner.SearchAsync("numbat", $"&project_id={beta.Id}")).Items.Select(h => h.WorkSessionId).ShouldBe([inBeta.Id]);
        (await owner.SearchAsync("numbat", $"&project_id={alpha.Id}")).Items.Select(h => h.WorkSessionId).ShouldBe([inAlpha.Id]);
        (await owner.SearchAsync("numbat")).Items.Count.ShouldBe(3);
    }

    [Fact]
    public async Task The_search_statistics_job_analyzes_the_message_tables_once_enough_rows_changed()
    {
        var owner = await _anonymous.RegisterAsync();
        var session = await owner.CreateWorkSessionAsync();
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var now = new NpgsqlCommand("select now()", connection);
        var before = (DateTime)(await now.ExecuteScalarAsync())!;
        await owner.AppendOkAsync(session.Id, [.. Enumerable.Range(0, SearchStatistics.MinimumChanges).Select(i => WorkSessionSteps.Say($"line {i}"))]);

        // PostgreSQL publishes a backend's row counts within a few seconds; the job acts once they show.
        var job = new SearchStatistics(app.Services.GetRequiredService<IServiceScopeFactory>(), app.Clock, NullLogger<SearchStatistics>.Instance);
        await using var analyzed = new NpgsqlCommand(
            "select count(*) from pg_stat_user_tables where relname in ('messages', 'message_search', 'message_contents') and last_analyze >= @before", connection);
        analyzed.Parameters.AddWithValue("before", before);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while ((long)(await analyzed.ExecuteScalarAsync())! < 3)
        {
            waited.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30), "messages, message_search and message_contents analyzed");
            app.Clock.Advance(TimeSpan.FromSeconds(11));
            await job.TickAsync(CancellationToken.None);
            await Task.Delay(500);
        }
    }

    [Fact]
    public async Task Migrations_0024_to_0026_move_every_stored_vector_to_the_index_with_its_organization_and_projects_and_a_deleted_content_takes_its_row()
    {
        var name = "coditect_s" + Guid.NewGuid().ToString("N")[..12];
        var connectionString = await TestPostgres.CreateDatabaseAsync(name);
        try
        {
            var org = Guid.NewGuid();
            var project = Guid.NewGuid();
            var session = Guid.NewGuid();
            await using (var connection = new NpgsqlConnection(connectionString))
            {
                // The schema as it was before 0024, with two contents stored the old way (their vector on the row).
                await connection.OpenAsync();
                await Execute(connection, null, "create table schema_migrations (version varchar(100) primary key, applied_at varchar(40) not null)");
                foreach (var (version, sql) in SchemaMigrator.Scripts(DatabaseProvider.Postgres).Where(s => string.CompareOrdinal(s.Version, "0024") < 0))
                {
                    await using var step = await connection.BeginTransactionAsync();
                    await Execute(connection, step, sql);
                    await Execute(connection, step, $"insert into schema_migrations (version, applied_at) values ('{version}', 'before')");
                    await step.CommitAsync();
                }

                await using var seed = await connection.BeginTransactionAsync();
                await Execute(connection, seed, "select set_config('app.system', 'on', true)");
                await Execute(connection, seed, "insert into organizations (id, slug, name, created_at, updated_at) values (@tenant::uuid, 'o', 'O', now(), now())", org.ToString());
                await Execute(connection, seed, """
                    insert into message_contents (id, tenant_id, hash, blocks, bytes, created_at, search) values
                      (1, @tenant::uuid, 'h1', '[]', 2, now(), setweight(to_tsvector('simple', 'wombat burrow'), 'A')),
                      (2, @tenant::uuid, 'h2', '[]', 2, now(), setweight(to_tsvector('simple', 'wombat'), 'B'))
                    """, org.ToString());
                // Content 1 is used in a project's work session; content 2 nowhere.
                await Execute(connection, seed, $"""
                    insert into projects (id, tenant_id, name, slug, key, status, next_task_number, created_at, updated_at)
                      values ('{project}', @tenant::uuid, 'P', 'p', 'P', 'active', 1, now(), now());
                    insert into work_sessions (id, tenant_id, project_id, tool, started_at, tags, message_count, created_at, updated_at)
                      values ('{session}', @tenant::uuid, '{project}', 'other', now(), '[]', 1, now(), now());
                    insert into conversations (id, tenant_id, work_session_id, message_count, next_position, created_at, updated_at)
                      values ('{session}', @tenant::uuid, '{session}', 1, 1, now(), now());
                    insert into messages (id, tenant_id, work_session_id, conversation_id, position, role, created_at, input_tokens,
                                          output_tokens, cache_read_tokens, cache_write_tokens, content_id)
                      values (gen_random_uuid(), @tenant::uuid, '{session}', '{session}', 0, 'user', now(), 0, 0, 0, 0, 1);
                    """, org.ToString());
                await seed.CommitAsync();
            }

            await using (var db = new CoditectDbContext(
                new DbContextOptionsBuilder<CoditectDbContext>().UseNpgsql(connectionString).Options, new TenantContext(), TimeProvider.System))
            {
                await new SchemaMigrator(db, NullLogger<SchemaMigrator>.Instance).MigrateAsync();
            }

            await using (var connection = new NpgsqlConnection(connectionString))
            {
                await connection.OpenAsync();
                (await Ids(connection, "select content_id from message_search where search @@ to_tsquery('simple', 'wombat:AB') order by 1")).ShouldBe([1L, 2L]);
                (await Ids(connection, "select content_id from message_search where search @@ to_tsquery('simple', 'wombat:A & burrow:A')")).ShouldBe([1L]);
                (await Ids(connection, $"select content_id from message_search where search @@ (to_tsquery('simple', 'wombat:AB') && '''@{org}'''::tsquery) order by 1"))
                    .ShouldBe([1L, 2L], "0025 gave every stored vector its organization's lexeme");
                (await Ids(connection, $"select content_id from message_search where search @@ (to_tsquery('simple', 'wombat:AB') && '''@{Guid.NewGuid()}'''::tsquery)"))
                    .ShouldBeEmpty();
                (await Ids(connection, $"select content_id from message_search where search @@ (to_tsquery('simple', 'wombat:AB') && '''#{project}'''::tsquery)"))
                    .ShouldBe([1L], "0026 gave the vector of a content used in a project that project's lexeme");
                (await Ids(connection, "select count(*) from information_schema.columns where table_name = 'message_contents' and column_name = 'search'"))
                    .ShouldBe([0L], "the vector moved: it is written once");

                await using var delete = await connection.BeginTransactionAsync();
                await Execute(connection, delete, "select set_config('app.system', 'on', true)");
                await Execute(connection, delete, "delete from message_contents where id = 2");
                await delete.CommitAsync();
                (await Ids(connection, "select content_id from message_search order by 1")).ShouldBe([1L]);
            }
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await TestPostgres.DropDatabaseAsync(name);
        }
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, string? tenant = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        if (tenant is not null)
        {
            command.Parameters.AddWithValue("tenant", tenant);
        }

        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> Explain(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, string tenant)
    {
        // EXPLAIN takes no parameters: the organization's id (a Guid's text) is written in.
        await using var command = new NpgsqlCommand("explain " + sql.Replace("@tenant", $"'{Guid.Parse(tenant)}'", StringComparison.Ordinal), connection, transaction);
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join('\n', lines);
    }

    private static async Task<List<long>> Ids(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        var ids = new List<long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }
}

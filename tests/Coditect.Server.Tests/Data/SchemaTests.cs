using System.Data.Common;
using Coditect.Server.Data;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Data;

/// <summary>
/// The hand-written SQL migrations (Data/Migrations/{Sqlite,Postgres}) build the schema the EF model expects: EF's
/// design-time tooling is missing here, so nothing else keeps the two in step.
/// </summary>
public abstract class SchemaTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    [Fact]
    public async Task Every_mapped_table_and_column_exists_with_the_models_nullability()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var schema = await DatabaseSchema.ReadAsync(db);

        var entityTypes = db.Model.GetEntityTypes().ToList();
        entityTypes.Count.ShouldBeGreaterThanOrEqualTo(8);
        foreach (var entityType in entityTypes)
        {
            var table = entityType.GetTableName()!;
            schema.Columns.ShouldContainKey(table, $"table {table} for {entityType.ClrType.Name}");
            var store = StoreObjectIdentifier.Table(table, entityType.GetSchema());
            foreach (var property in entityType.GetProperties())
            {
                var column = property.GetColumnName(store)!;
                schema.Columns[table].ShouldContainKey(column, $"column {table}.{column}");
                schema.Columns[table][column].ShouldBe(property.IsColumnNullable(store), $"nullability of {table}.{column}");
            }
        }
    }

    [Fact]
    public async Task Every_index_in_the_model_exists_with_its_uniqueness()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var schema = await DatabaseSchema.ReadAsync(db);

        var indexes = db.Model.GetEntityTypes().SelectMany(e => e.GetIndexes()).ToList();
        indexes.ShouldNotBeEmpty();
        foreach (var index in indexes)
        {
            var name = index.GetDatabaseName()!;
            schema.Indexes.ShouldContainKey(name, $"index {name}");
            schema.Indexes[name].ShouldBe(index.IsUnique, $"uniqueness of {name}");
        }
    }

    [Fact]
    public async Task Every_foreign_key_in_the_model_exists_with_its_delete_rule()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();

        var expected = db.Model.GetEntityTypes().SelectMany(e => e.GetForeignKeys()).Select(fk =>
            $"{fk.DeclaringEntityType.GetTableName()}.{fk.Properties.Single().GetColumnName()} -> " +
            $"{fk.PrincipalEntityType.GetTableName()} {(fk.DeleteBehavior == DeleteBehavior.Cascade ? "cascade" : "no cascade")}").ToList();
        var actual = await DatabaseSchema.ForeignKeysAsync(db);

        expected.ShouldNotBeEmpty();
        actual.ShouldBe(expected, ignoreOrder: true);
    }

    [Fact]
    public async Task The_migrations_create_no_table_the_model_does_not_know()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var schema = await DatabaseSchema.ReadAsync(db);

        var mapped = db.Model.GetEntityTypes().Select(e => e.GetTableName()!).Append("schema_migrations");
        schema.Columns.Keys.ShouldBe(mapped, ignoreOrder: true);
    }

    [Fact]
    public async Task Migrating_twice_is_harmless()
    {
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var migrator = scope.ServiceProvider.GetRequiredService<SchemaMigrator>();
            await migrator.MigrateAsync();
            await migrator.MigrateAsync();
            (await migrator.PendingAsync()).ShouldBeEmpty();
        }

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
            var applied = await db.Database.SqlQueryRaw<string>("select version as \"Value\" from schema_migrations").ToListAsync();
            applied.ShouldBe(SchemaMigrator.Scripts(app.Provider).Select(s => s.Version), ignoreOrder: true);
        }

        var caller = await app.Anonymous().RegisterAsync();
        (await caller.Client.GetAsync(caller.OrgPath)).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
    }
}

public sealed class SchemaTestsOnSqlite(SqliteApp app) : SchemaTests<SqliteApp>(app);

public sealed class SchemaTestsOnPostgres(PostgresApp app) : SchemaTests<PostgresApp>(app);

/// <summary>PostgreSQL only: the database half of tenant isolation is switched on where it matters.</summary>
public sealed class PostgresSchemaTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    /// <summary>Every tenant-owned table; a new one must be added here, to ITenantOwned and to row-level security.</summary>
    private static readonly string[] TenantTables =
        ["api_keys", "audit_events", "invitations", "memberships", "licenses", "license_sessions", "license_usage", "license_reminders", "seat_alerts", "license_machines", "outbox", "outbox_sequences",
         "webhook_subscriptions", "webhook_deliveries", "webhook_attempts", "webhook_sequences",
         "teams", "team_members", "projects", "project_keys", "plan_versions", "task_lists", "tasks", "task_dependencies", "repositories",
         "commits", "commit_tasks", "repository_branches", "work_sessions", "conversations", "message_contents", "messages",
         "billing_accounts", "billing_events", "commit_weeks", "commit_authors", "metered_hours", "usage_reports",
         "license_queue_tickets"];

    [Fact]
    public async Task Row_level_security_is_enabled_and_forced_on_every_table_with_a_tenant_id()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var rows = await DatabaseSchema.QueryAsync(db, """
            select c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   (select count(*) from pg_policies p where p.schemaname = current_schema() and p.tablename = c.relname)
            from information_schema.columns col
            join pg_class c on c.relname = col.table_name and c.relnamespace = current_schema()::regnamespace
            where col.table_schema = current_schema() and col.column_name = 'tenant_id' and c.relkind = 'r'
            """);

        rows.Select(r => (string)r[0]).ShouldBe(TenantTables, ignoreOrder: true);
        foreach (var row in rows)
        {
            ((bool)row[1]).ShouldBeTrue($"row level security enabled on {row[0]}");
            ((bool)row[2]).ShouldBeTrue($"row level security forced on {row[0]}");
            ((long)row[3]).ShouldBeGreaterThan(0, $"a policy on {row[0]}");
        }
    }

    /// <summary>
    /// A policy that calls <c>app_tenant_id()</c> (or reads a setting) bare is evaluated for every row a query touches;
    /// wrapped in a scalar subquery it is an InitPlan, computed once per statement (migration 0008).
    /// </summary>
    [Fact]
    public async Task Every_policy_reads_the_request_settings_once_per_statement()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var rows = await DatabaseSchema.QueryAsync(db,
            "select tablename || '.' || policyname, coalesce(qual, '') || ' ' || coalesce(with_check, '') from pg_policies where schemaname = current_schema()");

        rows.Count.ShouldBeGreaterThan(TenantTables.Length);
        foreach (var row in rows)
        {
            var expression = (string)row[1];
            var calls = System.Text.RegularExpressions.Regex.Matches(expression, @"app_(tenant_id|user_id|is_system)\(\)|current_setting\(");
            calls.Count.ShouldBeGreaterThan(0, $"{row[0]} reads the request's settings");
            foreach (System.Text.RegularExpressions.Match call in calls)
            {
                expression[..call.Index].ShouldMatch(@"SELECT (NULLIF\()?$", $"{row[0]}: {expression}");
            }
        }
    }

    [Fact]
    public async Task Every_table_with_a_tenant_owned_entity_has_a_tenant_id_column()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var schema = await DatabaseSchema.ReadAsync(db);

        var tenantTables = db.Model.GetEntityTypes().Where(e => typeof(ITenantOwned).IsAssignableFrom(e.ClrType)).Select(e => e.GetTableName()!).ToList();
        tenantTables.ShouldBe(TenantTables, ignoreOrder: true);
        tenantTables.ShouldAllBe(t => schema.Columns[t].ContainsKey("tenant_id"));
    }
}

/// <summary>What the database says it has: columns (name to nullable) per table, and indexes (name to unique).</summary>
internal sealed record DatabaseSchema(Dictionary<string, Dictionary<string, bool>> Columns, Dictionary<string, bool> Indexes)
{
    /// <summary>The PostgreSQL search index's table (migration 0024), outside the EF model and row-level security.</summary>
    public const string SearchIndexTable = "message_search";

    public static async Task<DatabaseSchema> ReadAsync(CoditectDbContext db)
    {
        var columns = new Dictionary<string, Dictionary<string, bool>>(StringComparer.Ordinal);
        var indexes = new Dictionary<string, bool>(StringComparer.Ordinal);
        if (db.Database.IsNpgsql())
        {
            // Outside the EF model, like SQLite's FTS5 index of the same name: message_search, the search index's rows
            // (migration 0024; PostgresSchemaTests checks it on its own).
            foreach (var row in await QueryAsync(db,
                $"select table_name, column_name, is_nullable from information_schema.columns where table_schema = current_schema() and table_name <> '{SearchIndexTable}'"))
            {
                Table(columns, (string)row[0])[(string)row[1]] = (string)row[2] == "YES";
            }

            foreach (var row in await QueryAsync(db, $"select indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename <> '{SearchIndexTable}'"))
            {
                indexes[(string)row[0]] = ((string)row[1]).StartsWith("CREATE UNIQUE INDEX", StringComparison.Ordinal);
            }
        }
        else
        {
            // Ordinary tables only: an FTS5 index (message_search) is a virtual table with shadow tables, outside the EF model.
            var tables = await QueryAsync(db, "select name from pragma_table_list where schema = 'main' and type = 'table' and name not like 'sqlite_%'");
            foreach (var table in tables.Select(t => (string)t[0]))
            {
                foreach (var row in await QueryAsync(db, $"pragma table_info(\"{table}\")"))
                {
                    // A primary key column is NOT NULL in effect even where SQLite's legacy rules would allow null.
                    Table(columns, table)[(string)row[1]] = (long)row[3] == 0 && (long)row[5] == 0;
                }

                foreach (var row in await QueryAsync(db, $"pragma index_list(\"{table}\")"))
                {
                    indexes[(string)row[1]] = (long)row[2] == 1;
                }
            }
        }

        return new DatabaseSchema(columns, indexes);
    }

    /// <summary>Each foreign key as <c>table.column -> principal cascade|no cascade</c>.</summary>
    public static async Task<List<string>> ForeignKeysAsync(CoditectDbContext db)
    {
        static string Rule(bool cascade) => cascade ? "cascade" : "no cascade";
        if (db.Database.IsNpgsql())
        {
            var rows = await QueryAsync(db, """
                select c.conrelid::regclass::text, a.attname::text, c.confrelid::regclass::text, c.confdeltype::text
                from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
                where c.contype = 'f' and c.connamespace = current_schema()::regnamespace and c.conrelid <> 'message_search'::regclass
                """);
            return [.. rows.Select(r => $"{r[0]}.{r[1]} -> {r[2]} {Rule((string)r[3] == "c")}")];
        }

        var keys = new List<string>();
        var tables = await QueryAsync(db, "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'");
        foreach (var table in tables.Select(t => (string)t[0]))
        {
            foreach (var row in await QueryAsync(db, $"pragma foreign_key_list(\"{table}\")"))
            {
                keys.Add($"{table}.{row[3]} -> {row[2]} {Rule((string)row[6] == "CASCADE")}");
            }
        }

        return keys;
    }

    public static async Task<List<object[]>> QueryAsync(CoditectDbContext db, string sql)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<object[]>();
            while (await reader.ReadAsync())
            {
                var values = new object[reader.FieldCount];
                reader.GetValues(values);
                rows.Add(values);
            }

            return rows;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static Dictionary<string, bool> Table(Dictionary<string, Dictionary<string, bool>> columns, string table) =>
        columns.TryGetValue(table, out var found) ? found : columns[table] = new Dictionary<string, bool>(StringComparer.Ordinal);
}

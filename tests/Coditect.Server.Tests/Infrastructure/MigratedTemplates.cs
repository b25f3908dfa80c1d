using Coditect.Server.Data;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Coditect.Server.Tests.Infrastructure;

/// <summary>
/// The schema, migrated once per test run and provider by the server's own <see cref="SchemaMigrator"/>, then copied
/// for each fixture (CREATE DATABASE ... TEMPLATE on PostgreSQL, a file copy on SQLite): a hundred fixtures would
/// otherwise run every migration a hundred times. The server still runs its migrator at start and finds nothing to
/// do; the migrations themselves are tested on empty databases (ParallelMigrationTests, SchemaTests).
/// </summary>
internal static class MigratedTemplates
{
    private static readonly string Name = "coditect_tpl" + Guid.NewGuid().ToString("N")[..12];
    private static readonly Lazy<Task<string>> Postgres = new(MigratePostgresAsync);
    private static readonly Lazy<Task<string>> Sqlite = new(MigrateSqliteAsync);
    private static readonly SemaphoreSlim Copying = new(1, 1);

    /// <summary>A new PostgreSQL database with the current schema; answers its connection string.</summary>
    public static async Task<string> CreatePostgresAsync(string name)
    {
        var template = await Postgres.Value;
        // One copy at a time: CREATE DATABASE refuses a template that another session is using.
        await Copying.WaitAsync();
        try
        {
            return await TestPostgres.CopyDatabaseAsync(name, Name, template);
        }
        finally
        {
            Copying.Release();
        }
    }

    /// <summary>Writes a SQLite file with the current schema at <paramref name="path"/>.</summary>
    public static async Task CreateSqliteAsync(string path) => File.Copy(await Sqlite.Value, path);

    /// <summary>Drops the template database (the test process's exit: its copies are dropped by their fixtures).</summary>
    public static void DropOnExit() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        if (Postgres.IsValueCreated)
        {
            TestPostgres.DropDatabaseAsync(Name).GetAwaiter().GetResult();
        }
    };

    private static async Task<string> MigratePostgresAsync()
    {
        DropOnExit();
        var connectionString = await TestPostgres.CreateDatabaseAsync(Name);
        await using (var db = new CoditectDbContext(
            new DbContextOptionsBuilder<CoditectDbContext>().UseNpgsql(connectionString).Options, new TenantContext(), TimeProvider.System))
        {
            await new SchemaMigrator(db, NullLogger<SchemaMigrator>.Instance).MigrateAsync();
        }

        // No session may stay on a template: the pooled connection the migrator used is closed for good.
        NpgsqlConnection.ClearPool(new NpgsqlConnection(connectionString));
        return connectionString;
    }

    private static async Task<string> MigrateSqliteAsync()
    {
        var folder = Directory.CreateTempSubdirectory("coditect-test-template-").FullName;
        var path = Path.Combine(folder, "template.db");
        var connectionString = $"Data Source={path};Pooling=False";
        await using (var db = new CoditectDbContext(
            new DbContextOptionsBuilder<CoditectDbContext>().UseSqlite(connectionString).Options, new TenantContext(), TimeProvider.System))
        {
            await new SchemaMigrator(db, NullLogger<SchemaMigrator>.Instance).MigrateAsync();
        }

        // The last connection closed checkpointed the write-ahead log into the file: the file alone is the schema.
        File.Exists(path + "-wal").ShouldBeFalse("the template's write-ahead log was checkpointed");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(folder, recursive: true);
        return path;
    }
}

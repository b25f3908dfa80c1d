using Coditect.Server.Data;
using Coditect.Server.Tenancy;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coditect.Server.Tests.Data;

/// <summary>Several nodes (or processes on one SQLite file) starting at once on an empty database migrate it exactly once.</summary>
public sealed class ParallelMigrationTests
{
    [Fact]
    public async Task Parallel_migrators_on_an_empty_database_apply_each_script_once()
    {
        var name = "coditect_m" + Guid.NewGuid().ToString("N")[..12];
        var connectionString = await TestPostgres.CreateDatabaseAsync(name);
        try
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
            {
                await using var db = Context(connectionString);
                await new SchemaMigrator(db, NullLogger<SchemaMigrator>.Instance).MigrateAsync();
            }));

            await using var check = Context(connectionString);
            var applied = await check.Database.SqlQueryRaw<string>("select version as \"Value\" from schema_migrations").ToListAsync();
            applied.ShouldBe(SchemaMigrator.Scripts(DatabaseProvider.Postgres).Select(s => s.Version), ignoreOrder: true);
            (await new SchemaMigrator(check, NullLogger<SchemaMigrator>.Instance).PendingAsync()).ShouldBeEmpty();
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(name);
        }
    }

    [Fact]
    public async Task Parallel_migrators_on_an_empty_sqlite_file_apply_each_script_once()
    {
        var path = Path.Combine(Path.GetTempPath(), $"coditect-migrate-{Guid.NewGuid():N}.db");
        var connectionString = $"Data Source={path};Pooling=False;Default Timeout=30";
        try
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                await using var db = SqliteContext(connectionString);
                await new SchemaMigrator(db, NullLogger<SchemaMigrator>.Instance).MigrateAsync();
            })));

            await using var check = SqliteContext(connectionString);
            var applied = await check.Database.SqlQueryRaw<string>("select version as \"Value\" from schema_migrations").ToListAsync();
            applied.ShouldBe(SchemaMigrator.Scripts(DatabaseProvider.Sqlite).Select(s => s.Version), ignoreOrder: true);
            (await new SchemaMigrator(check, NullLogger<SchemaMigrator>.Instance).PendingAsync()).ShouldBeEmpty();
        }
        finally
        {
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            {
                File.Delete(file);
            }
        }
    }

    private static CoditectDbContext SqliteContext(string connectionString) =>
        new(new DbContextOptionsBuilder<CoditectDbContext>().UseSqlite(connectionString).Options, new TenantContext(), TimeProvider.System);

    private static CoditectDbContext Context(string connectionString) =>
        new(new DbContextOptionsBuilder<CoditectDbContext>().UseNpgsql(connectionString).Options, new TenantContext(), TimeProvider.System);
}

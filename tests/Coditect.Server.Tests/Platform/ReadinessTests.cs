using System.Net;
using System.Text.Json;
using Coditect.Server.Data;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Platform;

/// <summary><c>/health/ready</c> means the database answers and every migration is applied.</summary>
public abstract class ReadinessTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    [Fact]
    public async Task Ready_answers_503_while_a_migration_is_pending()
    {
        var version = SchemaMigrator.Scripts(app.Provider)[^1].Version;
        await ExecuteAsync($"delete from schema_migrations where version = '{version}'");
        try
        {
            var response = await app.Anonymous().GetAsync("/health/ready");

            response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            body.GetProperty("status").GetString().ShouldBe("not_ready");
            (await app.Anonymous().GetAsync("/health/live")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        finally
        {
            await ExecuteAsync($"insert into schema_migrations (version, applied_at) values ('{version}', 'restored by test')");
        }

        (await app.Anonymous().GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        (await db.Database.ExecuteSqlRawAsync(sql)).ShouldBe(1);
    }
}

public sealed class ReadinessTestsOnSqlite(SqliteApp app) : ReadinessTests<SqliteApp>(app);

public sealed class ReadinessTestsOnPostgres(PostgresApp app) : ReadinessTests<PostgresApp>(app);

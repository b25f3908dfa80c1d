using System.Net;
using Coditect.Server.Data;
using Coditect.Server.Tenancy;
using Coditect.Server.Tests.Infrastructure;
using Coditect.Server.Tests.Licensing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Tenancy;

/// <summary>
/// SQLite only: a GET's unit of work reads a snapshot beside the file's one writer (BEGIN DEFERRED), on the API as in
/// the console, and a write inside such a unit is refused every time rather than only when a writer races it.
/// </summary>
public sealed class SqliteReadOnlyUnitTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Fact]
    public async Task API_reads_answer_while_another_connection_holds_the_write_lock()
    {
        var owner = await app.Anonymous().RegisterAsync();
        var license = await owner.CreateLicenseAsync(seats: 2);

        await using var writer = new SqliteConnection(app.ConnectionString);
        await writer.OpenAsync();
        await using (var begin = writer.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            await begin.ExecuteNonQueryAsync();
        }

        try
        {
            // With BEGIN IMMEDIATE these would wait out the busy timeout and fail; a snapshot read does not wait.
            (await owner.Client.GetAsync($"{owner.OrgPath}/licenses")).StatusCode.ShouldBe(HttpStatusCode.OK);
            (await owner.Client.GetAsync($"{owner.OrgPath}/licenses/{license.Id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
            (await owner.Client.GetAsync($"{owner.OrgPath}/members")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        finally
        {
            await using var rollback = writer.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task A_write_in_a_read_only_unit_is_refused_until_it_says_it_writes()
    {
        await using var services = app.Services.CreateAsyncScope();
        var unit = services.ServiceProvider.GetRequiredService<TenantScope>();
        var db = services.ServiceProvider.GetRequiredService<CoditectDbContext>();
        unit.ReadsOnly();
        await unit.BeginAsync(CancellationToken.None);

        (await db.Database.SqlQueryRaw<int>("SELECT 1 AS \"Value\"").ToListAsync()).ShouldBe([1]);
        var refused = await Should.ThrowAsync<InvalidOperationException>(
            () => db.Database.ExecuteSqlRawAsync("UPDATE organizations SET name = name WHERE 1 = 0"));
        refused.Message.ShouldContain("WritesAfterAllAsync");

        await unit.WritesAfterAllAsync(CancellationToken.None);
        await unit.BeginAsync(CancellationToken.None);
        (await db.Database.ExecuteSqlRawAsync("UPDATE organizations SET name = name WHERE 1 = 0")).ShouldBe(0);
        await unit.CommitAsync(CancellationToken.None);
    }

    [Theory]
    [InlineData("INSERT INTO t VALUES (1)", true)]
    [InlineData("  update t set a = 1", true)]
    [InlineData("-- a comment\nDELETE FROM t", true)]
    [InlineData("REPLACE INTO t VALUES (1)", true)]
    [InlineData("SELECT * FROM t", false)]
    [InlineData("-- UPDATE in a comment\nSELECT 1", false)]
    public void Writes_are_told_by_their_first_keyword(string sql, bool writes) =>
        ReadOnlyWriteGuard.Writes(sql).ShouldBe(writes);
}

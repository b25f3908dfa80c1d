using System.Data.Common;
using Coditect.Server.Data;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Data;

/// <summary>
/// SQLite only: every connection the server's context opens waits for the write lock inside SQLite and commits with
/// <c>synchronous = FULL</c>, on its first open and on every reuse from the pool, and none maps the file (not even the message search).
/// </summary>
public sealed class SqliteConnectionSettingsTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Fact]
    public async Task The_servers_connections_wait_for_the_lock_and_commit_durably_whenever_they_are_opened()
    {
        for (var open = 0; open < 3; open++) // the first open of a native connection, then reuses from the pool
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
            await db.Database.OpenConnectionAsync();
            var connection = db.Database.GetDbConnection();
            (await PragmaAsync(connection, "busy_timeout")).ShouldBe(SqliteConnectionSettings.BusyTimeoutMs, $"open {open}");
            (await PragmaAsync(connection, "synchronous")).ShouldBe(2, $"open {open}: FULL");
            (await PragmaAsync(connection, "mmap_size")).ShouldBe(0, $"open {open}: no map on a pooled connection");
        }

        await using var plain = new SqliteConnection(app.ConnectionString);
        await plain.OpenAsync();
        (await PragmaAsync(plain, "busy_timeout")).ShouldBe(0, "the settings are the server's, not the file's");
    }

    private static async Task<long> PragmaAsync(DbConnection connection, string name)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name}";
        return (long)(await command.ExecuteScalarAsync())!;
    }
}

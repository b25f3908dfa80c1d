using Coditect.Server.Data;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Data;

/// <summary>SQLite only: every connection the server's context opens reads the file through memory-mapped I/O.</summary>
public sealed class SqliteConnectionSettingsTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Fact]
    public async Task The_servers_connections_map_the_file_and_a_plain_connection_does_not()
    {
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
            await db.Database.OpenConnectionAsync();
            await using var pragma = db.Database.GetDbConnection().CreateCommand();
            pragma.CommandText = "PRAGMA mmap_size";
            ((long)(await pragma.ExecuteScalarAsync())!).ShouldBe(SqliteConnectionSettings.MmapBytes);
        }

        await using var plain = new SqliteConnection(app.ConnectionString);
        await plain.OpenAsync();
        await using var command = plain.CreateCommand();
        command.CommandText = "PRAGMA mmap_size";
        ((long)(await command.ExecuteScalarAsync())!).ShouldBe(0L, "the setting is the server's, not the file's");
    }
}

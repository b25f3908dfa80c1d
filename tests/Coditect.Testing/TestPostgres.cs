using Npgsql;

namespace Coditect.Testing;

/// <summary>
/// The PostgreSQL server that scripts/test.sh starts. Each fixture gets its own empty database owned by its own
/// non-superuser role without BYPASSRLS, as production runs it. Without the server the tests fail, never skip.
/// </summary>
public static class TestPostgres
{
    public const string Variable = "CODITECT_TEST_POSTGRES";

    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable(Variable)
        ?? throw new InvalidOperationException(
            $"{Variable} is not set. Run the suite with scripts/test.sh, which starts PostgreSQL and sets it " +
            "(or point it at a superuser connection string yourself).");

    /// <summary>Creates a role and a database it owns; returns the role's connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string name)
    {
        var password = Guid.NewGuid().ToString("N");
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await ExecuteAsync(admin, $"create role {name} login nosuperuser nobypassrls nocreatedb nocreaterole password '{password}'");
        await ExecuteAsync(admin, $"create database {name} owner {name}");
        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString)
        {
            Database = name,
            Username = name,
            Password = password,
            // The admin string opens one connection per call (Pooling=false); a server under test pools as in production.
            // Without it every transaction forked a backend and ran SCRAM authentication (2-4 s more per browser test).
            Pooling = true,
            MaxPoolSize = 40,
        };
        return builder.ConnectionString;
    }

    /// <summary>
    /// Creates a database as a copy of <paramref name="template"/> (made by <see cref="CreateDatabaseAsync"/> and no
    /// longer connected to), owned like it by the template's role: its tables belong to that role, which row-level
    /// security binds as it binds the owner in production. Returns the same role's connection string for the copy.
    /// </summary>
    public static async Task<string> CopyDatabaseAsync(string name, string template, string templateConnectionString)
    {
        var source = new NpgsqlConnectionStringBuilder(templateConnectionString);
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await ExecuteAsync(admin, $"create database {name} owner {source.Username} template {template}");
        }

        return new NpgsqlConnectionStringBuilder(templateConnectionString) { Database = name }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await ExecuteAsync(admin, $"drop database if exists {name} with (force)");
        await ExecuteAsync(admin, $"drop role if exists {name}");
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

using Npgsql;

namespace Coditect.Server.Tests.Infrastructure;

public static class SystemQueries
{
    /// <summary>
    /// One value read on a PostgreSQL app's own connection string in system scope (row-level security binds that role):
    /// what a test checks in the database behind the API. Parameters are <c>$1</c>, <c>$2</c>...
    /// </summary>
    public static async Task<object?> SystemScalarAsync(this CoditectApp app, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var system = new NpgsqlCommand("select set_config('app.system', 'on', true)", connection, transaction))
        {
            await system.ExecuteNonQueryAsync();
        }

        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return await command.ExecuteScalarAsync();
    }
}

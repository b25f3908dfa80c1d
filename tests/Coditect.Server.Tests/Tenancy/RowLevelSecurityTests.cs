using Coditect.Server.Tests.Infrastructure;
using Npgsql;

namespace Coditect.Server.Tests.Tenancy;

/// <summary>
/// PostgreSQL only: isolation holds underneath the application. These tests skip the EF filters entirely and query
/// as the server's own role (the non-superuser owner of the database), setting the tenant the way the server does.
/// </summary>
public sealed class RowLevelSecurityTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    private static readonly string[] TenantTables = ["memberships", "api_keys", "audit_events", "invitations"];

    [Fact]
    public async Task The_app_role_is_neither_superuser_nor_bypassrls_and_owns_the_tables()
    {
        await using var connection = await OpenAsync();

        var role = await ScalarAsync<string>(connection, null, "select current_user");
        var super = await ScalarAsync<bool>(connection, null, "select rolsuper from pg_roles where rolname = current_user");
        var bypass = await ScalarAsync<bool>(connection, null, "select rolbypassrls from pg_roles where rolname = current_user");
        var tableOwner = await ScalarAsync<string>(connection, null, "select tableowner from pg_tables where tablename = 'memberships'");

        role.ShouldNotBe("postgres");
        super.ShouldBeFalse();
        bypass.ShouldBeFalse();
        tableOwner.ShouldBe(role, "the owner is bound by the policies only because they are FORCEd");
    }

    [Fact]
    public async Task A_raw_query_in_tenant_As_transaction_sees_only_As_rows()
    {
        var a = await SeedTenantAsync();
        var b = await SeedTenantAsync();
        await using var connection = await OpenAsync();

        foreach (var (tenant, other) in new[] { (a, b), (b, a) })
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await SetTenantAsync(connection, transaction, tenant);
            foreach (var table in TenantTables)
            {
                var seen = await TenantIdsAsync(connection, transaction, table);
                seen.ShouldNotBeEmpty($"{table} has rows of the current tenant");
                seen.ShouldAllBe(id => id == tenant, $"{table} shows only the current tenant");
                seen.ShouldNotContain(other);
            }

            await transaction.CommitAsync();
        }
    }

    [Fact]
    public async Task With_no_tenant_set_a_raw_query_sees_no_rows()
    {
        var a = await SeedTenantAsync();
        await using var connection = await OpenAsync();

        foreach (var table in TenantTables)
        {
            (await TenantIdsAsync(connection, null, table)).ShouldBeEmpty(table);
        }

        await using var transaction = await connection.BeginTransactionAsync();
        await SetTenantAsync(connection, transaction, a);
        (await TenantIdsAsync(connection, transaction, "memberships")).ShouldNotBeEmpty("the rows exist; only the tenant was missing");
    }

    [Fact]
    public async Task The_tenant_setting_ends_with_its_transaction()
    {
        var a = await SeedTenantAsync();
        await using var connection = await OpenAsync();

        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await SetTenantAsync(connection, transaction, a);
            (await TenantIdsAsync(connection, transaction, "memberships")).ShouldNotBeEmpty();
            await transaction.CommitAsync();
        }

        await using var next = await connection.BeginTransactionAsync();
        foreach (var table in TenantTables)
        {
            (await TenantIdsAsync(connection, next, table)).ShouldBeEmpty($"{table} after the tenant's transaction ended");
        }
    }

    [Fact]
    public async Task A_raw_write_into_another_tenant_is_refused()
    {
        var a = await SeedTenantAsync();
        var b = await SeedTenantAsync();
        await using var connection = await OpenAsync();

        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await SetTenantAsync(connection, transaction, a);
            var updated = await ExecuteAsync(connection, transaction, $"update memberships set role = 'viewer' where tenant_id = '{b}'");
            updated.ShouldBe(0, "another tenant's rows are invisible to updates");
            var insert = await Should.ThrowAsync<PostgresException>(() => ExecuteAsync(connection, transaction,
                $"insert into audit_events (id, tenant_id, actor_type, action, object_type, object_id, changes, occurred_at) " +
                $"values ('{Guid.NewGuid()}', '{b}', 'system', 'x.created', 'x', 'x', '{{}}', now())"));
            insert.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        }

        await using var check = await connection.BeginTransactionAsync();
        await SetTenantAsync(connection, check, b);
        var owners = await ScalarAsync<long>(connection, check, "select count(*) from memberships where role = 'owner'");
        owners.ShouldBe(1);
    }

    private async Task<Guid> SeedTenantAsync()
    {
        var owner = await app.Anonymous().RegisterAsync();
        await owner.AddMemberAsync("viewer");
        await owner.InviteAsync($"pending-{Guid.NewGuid():N}@example.com", "member");
        await owner.CreateApiKeyAsync("member");
        return owner.OrgId;
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task SetTenantAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenant)
    {
        await using var command = new NpgsqlCommand("select set_config('app.tenant_id', @tenant, true)", connection, transaction);
        command.Parameters.AddWithValue("tenant", tenant.ToString());
        await command.ExecuteScalarAsync();
    }

    private static async Task<List<Guid>> TenantIdsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string table)
    {
        await using var command = new NpgsqlCommand($"select tenant_id from {table}", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        return await command.ExecuteNonQueryAsync();
    }
}

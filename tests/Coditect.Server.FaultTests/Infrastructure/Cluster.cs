using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Coditect.Contracts.Licensing;
using Coditect.Contracts.Notifications;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Coditect.Server.FaultTests.Infrastructure;

public enum Ledger
{
    /// <summary>No Redis configured: PostgreSQL is the gate and serves every call.</summary>
    Postgres,

    /// <summary><c>ConnectionStrings:Redis</c> set: PostgreSQL gates acquires, Redis serves heartbeats.</summary>
    Redis,

    /// <summary>
    /// A SQLite file: one server process (SQLite is one process by design, docs/architecture.md), so a cluster of one
    /// node, killed and restarted on the same file.
    /// </summary>
    Sqlite,
}

/// <summary>
/// Several server processes on one fresh database (owned by a non-superuser role) of the private PostgreSQL, and the
/// private Redis in Redis mode; or one process on a fresh SQLite file. Same master key on every node, short leases, rate
/// limits out of the way.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    public const int LeaseTtlSeconds = 6;
    public const int SweepIntervalSeconds = 2;
    public const int HeartbeatFlushMilliseconds = 500;

    private readonly string _database;
    private string _connectionString = "";
    private string? _accessToken;
    private string? _orgSlug;

    private Cluster(Backends backends, Ledger ledger, string database, IReadOnlyList<ServerNode> nodes)
    {
        Backends = backends;
        Ledger = ledger;
        _database = database;
        Nodes = nodes;
    }

    public Backends Backends { get; }

    public Ledger Ledger { get; }

    public IReadOnlyList<ServerNode> Nodes { get; }

    /// <summary>The organization the first node's sign-up made (every call of this class acts in it).</summary>
    public Guid OrganizationId { get; private set; }

    /// <summary>Starts <c>nodes</c> servers; <c>nodeSettings</c> adds settings for one node by index (0 is the first).</summary>
    public static async Task<Cluster> StartAsync(Backends backends, Ledger ledger, int nodes,
        Func<int, IReadOnlyDictionary<string, string>>? nodeSettings = null)
    {
        await backends.ResetAsync();
        var database = "coditect_f" + Guid.NewGuid().ToString("N")[..12];
        if (ledger == Ledger.Sqlite && nodes != 1)
        {
            throw new ArgumentOutOfRangeException(nameof(nodes), nodes, "SQLite is served by one process.");
        }

        var connectionString = ledger == Ledger.Sqlite
            ? $"Data Source={Path.Combine(Directory.CreateTempSubdirectory("coditect-fault-").FullName, database + ".db")}"
            : await backends.Postgres.CreateDatabaseAsync(database);
        var environment = new Dictionary<string, string>(Coditect.Testing.TestSettings.AsEnvironment(Coditect.Testing.TestSettings.Defaults))
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Database__Provider"] = ledger == Ledger.Sqlite ? "Sqlite" : "Postgres",
            ["ConnectionStrings__Database"] = connectionString,
            ["Secrets__MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Licensing__LeaseTtlSeconds"] = LeaseTtlSeconds.ToString(CultureInfo.InvariantCulture),
            ["Licensing__SweepIntervalSeconds"] = SweepIntervalSeconds.ToString(CultureInfo.InvariantCulture),
            ["Licensing__HeartbeatFlushMilliseconds"] = HeartbeatFlushMilliseconds.ToString(CultureInfo.InvariantCulture),
            // Hundreds of clients churn on one licence, each acquiring again every few hundred milliseconds.
            ["RateLimits__LicensePerMinute"] = "100000000",
            ["RateLimits__SessionPerMinute"] = "1000000",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Coditect"] = "Information",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
            ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
        };
        if (ledger == Ledger.Redis)
        {
            environment["ConnectionStrings__Redis"] = backends.Redis.ConnectionString;
        }

        var servers = Enumerable.Range(0, nodes).Select(i => new ServerNode($"node{i + 1}",
            nodeSettings?.Invoke(i) is { } extra ? Merge(environment, extra) : environment)).ToList();
        var cluster = new Cluster(backends, ledger, database, servers) { _connectionString = connectionString };
        try
        {
            // Several nodes may start at once (the migrator takes an advisory lock); the first one alone is faster here.
            await servers[0].StartAsync();
            await Task.WhenAll(servers.Skip(1).Select(s => s.StartAsync()));
            var tokens = await servers[0].Http.RegisterAsync();
            cluster._accessToken = tokens.AccessToken;
            cluster.VendorEmail = tokens.User.Email;
            cluster._orgSlug = tokens.Organization!.Slug;
            cluster.OrganizationId = tokens.Organization.Id;
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The organization's owner, registered at start (password: <see cref="Api.VendorPassword"/>).</summary>
    public string VendorEmail { get; private set; } = "";

    public string OrgSlug => _orgSlug ?? throw new InvalidOperationException("Not started.");

    /// <summary>The node settings with a test's own on top (a test's value wins).</summary>
    private static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> settings, IReadOnlyDictionary<string, string> extra)
    {
        var merged = new Dictionary<string, string>(settings);
        foreach (var (key, value) in extra)
        {
            merged[key] = value;
        }

        return merged;
    }

    public async Task<LicenseResponse> CreateLicenseAsync(int seats, DateTime? expiresAt = null)
    {
        var answer = await Nodes[0].Http.SendJsonAsync(HttpMethod.Post, $"api/v1/orgs/{_orgSlug}/licenses",
            new CreateLicenseRequest($"Fault licence {Guid.NewGuid():N}", seats, expiresAt, ["pro"]), _accessToken);
        answer.Status.ShouldBe(HttpStatusCode.Created, answer.ToString());
        return answer.Read<LicenseResponse>();
    }

    /// <summary>Gives a licence a new expiry through <paramref name="node"/>.</summary>
    public async Task RenewLicenseAsync(ServerNode node, Guid licenseId, DateTime expiresAt)
    {
        var answer = await node.Http.SendJsonAsync(HttpMethod.Post, $"api/v1/orgs/{_orgSlug}/licenses/{licenseId}/renew",
            new RenewLicenseRequest(expiresAt), _accessToken);
        answer.Status.ShouldBe(HttpStatusCode.OK, answer.ToString());
    }

    /// <summary>A webhook endpoint of the organization for every event type; the answer carries its secret.</summary>
    public async Task<WebhookResponse> CreateWebhookAsync(string url)
    {
        var answer = await Nodes[0].Http.SendJsonAsync(HttpMethod.Post, $"api/v1/orgs/{_orgSlug}/webhooks",
            new CreateWebhookRequest(url, "Fault receiver", [], null), _accessToken);
        answer.Status.ShouldBe(HttpStatusCode.Created, answer.ToString());
        return answer.Read<WebhookResponse>();
    }

    /// <summary>Deletes a licence through <paramref name="node"/>.</summary>
    public Task<Answer> DeleteLicenseAsync(ServerNode node, Guid licenseId) =>
        node.Http.SendJsonAsync(HttpMethod.Delete, $"api/v1/orgs/{_orgSlug}/licenses/{licenseId}", bearer: _accessToken);

    /// <summary>An authenticated vendor call that reads the database (for outage checks).</summary>
    public Task<Answer> ListLicensesAsync(ServerNode node) =>
        node.Http.SendJsonAsync(HttpMethod.Get, $"api/v1/orgs/{_orgSlug}/licenses", bearer: _accessToken);

    /// <summary>The superuser on this cluster's database (past row-level security), for reading and for breaking things.</summary>
    public string AdminConnectionString => Backends.Postgres.AdminConnectionStringFor(_database);

    /// <summary>Every session of the licence, as the database recorded it (on PostgreSQL read as the superuser, past row-level security).</summary>
    public Task<IReadOnlyList<SessionRecord>> SessionsAsync(Guid licenseId) => ReadAsync(
        "select id, hardware_id, status, started_at, ended_at, expires_at from license_sessions where license_id = @license", licenseId,
        r => new SessionRecord(r.GetGuid(0), r.GetString(1), r.GetString(2), Utc(r.GetDateTime(3)),
            r.IsDBNull(4) ? null : Utc(r.GetDateTime(4)), Utc(r.GetDateTime(5))));

    /// <summary>Every queue ticket of the licence, as the database recorded it, in ticket order.</summary>
    public Task<IReadOnlyList<TicketRecord>> TicketsAsync(Guid licenseId) => ReadAsync(
        "select seq, ticket_hash, hardware_id, state, created_at, offered_at, session_id, ended_at from license_queue_tickets " +
        "where license_id = @license order by seq", licenseId,
        r => new TicketRecord(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), Utc(r.GetDateTime(4)),
            r.IsDBNull(5) ? null : Utc(r.GetDateTime(5)), r.IsDBNull(6) ? null : r.GetGuid(6), r.IsDBNull(7) ? null : Utc(r.GetDateTime(7))));

    /// <summary>Rows of a query on one licence (<c>@license</c>), on either database.</summary>
    private async Task<IReadOnlyList<T>> ReadAsync<T>(string sql, Guid licenseId, Func<System.Data.Common.DbDataReader, T> row)
    {
        await using System.Data.Common.DbConnection connection = Ledger == Ledger.Sqlite
            ? new SqliteConnection(_connectionString)
            : new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        // EF Core keeps a Guid as upper-case text on SQLite.
        command.Parameters.Add(Ledger == Ledger.Sqlite
            ? new SqliteParameter("@license", SqliteType.Text) { Value = licenseId.ToString().ToUpperInvariant() }
            : new NpgsqlParameter("license", licenseId));
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(row(reader));
        }

        return rows;
    }

    private static DateTime Utc(DateTime value) => DateTime.SpecifyKind(value, DateTimeKind.Utc);

    /// <summary>One value read as the superuser on this cluster's database.</summary>
    public async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync() is T value ? value : default;
    }

    /// <summary>The last lines of every node's log, for failure messages.</summary>
    public string Logs(int lines = 40) => string.Join('\n', Nodes.Select(n =>
        $"== {n.Name} ==\n" + string.Join('\n', n.Log().TakeLast(lines))));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            node.Dispose();
        }

        // CODITECT_FAULT_LOGS=<folder> keeps every node's full log, for a failure that the last lines do not explain.
        if (Environment.GetEnvironmentVariable("CODITECT_FAULT_LOGS") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            foreach (var node in Nodes)
            {
                await File.WriteAllLinesAsync(Path.Combine(folder, $"{_database}-{node.Name}.log"), node.Log());
            }
        }

        if (Ledger == Ledger.Sqlite)
        {
            var file = new SqliteConnectionStringBuilder(_connectionString).DataSource;
            SqliteConnection.ClearAllPools();
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
        else if (Backends.Postgres.IsRunning)
        {
            try
            {
                await Backends.Postgres.ExecuteAsync($"drop database if exists {_database} with (force)");
                await Backends.Postgres.ExecuteAsync($"drop role if exists {_database}");
            }
            catch (NpgsqlException)
            {
                // the server goes away with the collection anyway
            }
        }
    }
}

/// <summary>A row of <c>license_sessions</c>. The seat was held over [StartedAt, End).</summary>
public sealed record SessionRecord(Guid Id, string HardwareId, string Status, DateTime StartedAt, DateTime? EndedAt, DateTime ExpiresAt)
{
    /// <summary>
    /// When the seat stopped being held: a seat is held iff status = 'active' and expires_at > now, so a release or kick
    /// ends it at ended_at, and a lapse at expires_at, whichever came first (a release after the lapse ends nothing).
    /// </summary>
    public DateTime End => EndedAt is { } ended && ended < ExpiresAt ? ended : ExpiresAt;

    public SeatInterval Interval => new(StartedAt, End, Id.ToString());
}

/// <summary>A row of <c>license_queue_tickets</c>: it waited over [CreatedAt, OfferedAt, or EndedAt when never offered).</summary>
public sealed record TicketRecord(long Seq, string TicketHash, string HardwareId, string State, DateTime CreatedAt, DateTime? OfferedAt,
    Guid? SessionId, DateTime? EndedAt);

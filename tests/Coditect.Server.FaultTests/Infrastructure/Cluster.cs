using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Coditect.Contracts.Licensing;
using Coditect.Contracts.Notifications;
using Npgsql;

namespace Coditect.Server.FaultTests.Infrastructure;

public enum Ledger
{
    /// <summary>No Redis configured: PostgreSQL is the gate and serves every call.</summary>
    Postgres,

    /// <summary><c>ConnectionStrings:Redis</c> set: PostgreSQL gates acquires, Redis serves heartbeats.</summary>
    Redis,
}

/// <summary>
/// Several server processes on one fresh database (owned by a non-superuser role) of the private PostgreSQL, and the
/// private Redis in Redis mode. Same master key on every node, short leases, rate limits out of the way.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    public const int LeaseTtlSeconds = 6;
    public const int SweepIntervalSeconds = 2;
    public const int HeartbeatFlushMilliseconds = 500;

    private readonly string _database;
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
        var connectionString = await backends.Postgres.CreateDatabaseAsync(database);
        var environment = new Dictionary<string, string>(Coditect.Testing.TestSettings.AsEnvironment(Coditect.Testing.TestSettings.Defaults))
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Database__Provider"] = "Postgres",
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
        var cluster = new Cluster(backends, ledger, database, servers);
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

    /// <summary>Every session of the licence, as PostgreSQL recorded it (read as the superuser, past row-level security).</summary>
    public async Task<IReadOnlyList<SessionRecord>> SessionsAsync(Guid licenseId)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select id, hardware_id, status, started_at, ended_at, expires_at from license_sessions where license_id = $1", connection)
        {
            Parameters = { new NpgsqlParameter { Value = licenseId } },
        };
        await using var reader = await command.ExecuteReaderAsync();
        var sessions = new List<SessionRecord>();
        while (await reader.ReadAsync())
        {
            sessions.Add(new SessionRecord(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetDateTime(3),
                await reader.IsDBNullAsync(4) ? null : reader.GetDateTime(4), reader.GetDateTime(5)));
        }

        return sessions;
    }

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

        if (Backends.Postgres.IsRunning)
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

using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Data;
using Coditect.Server.Tests.Infrastructure;
using Coditect.Server.Tests.Licensing;

namespace Coditect.Server.Tests.Platform;

/// <summary>
/// <c>/metrics</c> of the real server, a process on PostgreSQL and Redis as in production: what a scrape shows after
/// lease calls, and who may scrape. A process, not a server in the test process: meters are process-wide, so every
/// in-process server of the test run would show in each one's scrape. The gauges read from the database are refreshed
/// every second here (15 s by default).
/// </summary>
public sealed class MetricsTests(MetricsApp app) : IClassFixture<MetricsApp>, IAsyncLifetime
{
    private Client _anonymous = null!;

    public async Task InitializeAsync() => _anonymous = await app.NodeAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Lease_calls_show_as_outcome_counters_by_code_and_latency_histograms_by_operation()
    {
        var vendor = await app.Anonymous().RegisterAsync(); // in process: its tokens are for its clock
        var license = await vendor.CreateLicenseAsync(seats: 1);
        var before = await Exposition.ScrapeAsync(_anonymous.Http);

        var first = await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-a");
        (await _anonymous.AcquireAsync(license.LicenseKey!, "machine-a")).StatusCode.ShouldBe(HttpStatusCode.OK); // renewed
        await (await _anonymous.AcquireAsync(license.LicenseKey!, "machine-b")).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.NoSeatsAvailable);
        for (var i = 0; i < 3; i++)
        {
            (await _anonymous.HeartbeatAsync(license.LicenseKey!, first.SessionId)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        (await _anonymous.ValidateAsync(license.LicenseKey!, "machine-a")).Code.ShouldBe(ValidationCodes.Valid);
        (await _anonymous.ReleaseAsync(license.LicenseKey!, first.SessionId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await _anonymous.HeartbeatAsync(license.LicenseKey!, first.SessionId)).ShouldBeProblemAsync(HttpStatusCode.Gone, ProblemCodes.SessionReleased);

        var after = await Exposition.ScrapeNewerAsync(_anonymous.Http, before);
        double Requests(Exposition e, string operation, string code) =>
            e.Value("coditect_lease_requests_total", ("operation", operation), ("code", code)) ?? 0;
        foreach (var (operation, code, count) in new[]
                 {
                     ("acquire", "ACQUIRED", 1), ("acquire", "RENEWED", 1), ("acquire", ProblemCodes.NoSeatsAvailable, 1),
                     ("heartbeat", "OK", 3), ("heartbeat", ProblemCodes.SessionReleased, 1), ("release", "OK", 1), ("validate", "VALID", 1),
                 })
        {
            (Requests(after, operation, code) - Requests(before, operation, code)).ShouldBe(count, $"{operation} {code}");
        }

        double Timed(Exposition e, string operation, string outcome) =>
            e.Value("coditect_lease_duration_seconds_count", ("operation", operation), ("outcome", outcome)) ?? 0;
        (Timed(after, "acquire", "ok") - Timed(before, "acquire", "ok")).ShouldBe(2);
        (Timed(after, "acquire", "refused") - Timed(before, "acquire", "refused")).ShouldBe(1);
        (Timed(after, "heartbeat", "ok") - Timed(before, "heartbeat", "ok")).ShouldBe(3);
        // A histogram with our buckets: sub-millisecond up to 10 s, and the +Inf bucket counting every call.
        var buckets = after.Samples("coditect_lease_duration_seconds_bucket", ("operation", "heartbeat"), ("outcome", "ok")).ToList();
        buckets.Select(b => b.Labels["le"]).ShouldContain("0.0005");
        buckets.Single(b => b.Labels["le"] == "+Inf").Value.ShouldBe(after.Value("coditect_lease_duration_seconds_count", ("operation", "heartbeat"), ("outcome", "ok"))!.Value);
        after.Samples("coditect_lease_requests_total").ShouldAllBe(s => !s.Labels.ContainsKey("license_id") && !s.Labels.ContainsKey("tenant_id"));
    }

    [Fact]
    public async Task Seats_in_use_follows_acquires_and_releases_across_the_cluster()
    {
        var vendor = await app.Anonymous().RegisterAsync(); // in process: its tokens are for its clock
        var license = await vendor.CreateLicenseAsync(seats: 5);
        var inUse = await WaitForAsync("coditect_seats_in_use", _ => true);
        var capacity = (await Exposition.ScrapeAsync(_anonymous.Http)).Value("coditect_seats_capacity");
        capacity.ShouldNotBeNull();
        capacity.Value.ShouldBeGreaterThanOrEqualTo(5);

        var sessions = new List<AcquireResponse>();
        for (var i = 0; i < 3; i++)
        {
            sessions.Add(await _anonymous.AcquireSeatAsync(license.LicenseKey!, $"machine-{i}"));
        }

        await WaitForAsync("coditect_seats_in_use", value => value == inUse + 3);
        (await _anonymous.ReleaseAsync(license.LicenseKey!, sessions[0].SessionId)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await WaitForAsync("coditect_seats_in_use", value => value == inUse + 2);
        (await Exposition.ScrapeAsync(_anonymous.Http)).Samples("coditect_seats_in_use").Single().Labels
            .Keys.ShouldAllBe(label => label.StartsWith("otel_", StringComparison.Ordinal), "totals only, no per-licence label");
    }

    [Fact]
    public async Task The_exposition_has_http_routes_redis_outbox_ledger_npgsql_and_runtime_metrics()
    {
        var vendor = await app.Anonymous().RegisterAsync(); // in process: its tokens are for its clock
        var license = await vendor.CreateLicenseAsync(seats: 2); // raises license.created on the outbox
        await _anonymous.AcquireSeatAsync(license.LicenseKey!, "machine-x");

        // ASP.NET Core records a request's duration as it completes, a moment after the client has the answer.
        await WaitForAsync("http_server_request_duration_seconds_count", _ => true,
            ("http_route", "/api/v1/licenses/acquire"), ("http_response_status_code", "201"));
        var scrape = await Exposition.ScrapeAsync(_anonymous.Http);

        scrape.Value("coditect_redis_connected").ShouldBe(1);
        scrape.Value("coditect_ledger_fallbacks_total").ShouldNotBeNull();
        scrape.Value("coditect_outbox_pending").ShouldNotBeNull();
        scrape.Value("coditect_outbox_lag_seconds").ShouldNotBeNull();
        scrape.Names.ShouldContain(name => name.StartsWith("db_client_connection", StringComparison.Ordinal));
        scrape.Samples().ShouldContain(s => s.Name.StartsWith("db_client_connection", StringComparison.Ordinal)
            && s.Labels.GetValueOrDefault("db_client_connection_pool_name") == "coditect", scrape.Lines("db_client_connection"));
        scrape.Names.ShouldContain(name => name.StartsWith("dotnet_gc_", StringComparison.Ordinal));
        scrape.Text.ShouldNotContain(app.ConnectionString.Split("Password=")[^1].Split(';')[0], Case.Sensitive, "no password in labels");
    }

    [Fact]
    public async Task A_request_that_came_through_a_proxy_gets_404_even_from_loopback()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Add("X-Forwarded-For", "127.0.0.1");

        var response = await _anonymous.Http.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).ShouldNotContain("coditect_");
    }

    private async Task<double> WaitForAsync(string metric, Func<double, bool> expected, params (string Key, string Value)[] labels)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        double? last = null;
        while (DateTime.UtcNow < deadline)
        {
            var scrape = await Exposition.ScrapeAsync(_anonymous.Http);
            scrape.Samples(metric, labels).Count().ShouldBeLessThanOrEqualTo(1, scrape.Lines(metric));
            last = scrape.Value(metric, labels);
            if (last is { } value && expected(value))
            {
                return value;
            }

            await Task.Delay(250);
        }

        throw new ShouldAssertException($"{metric} stayed at {last?.ToString(CultureInfo.InvariantCulture) ?? "absent"}.");
    }
}

/// <summary>
/// A database and a Redis database (the in-process server migrates it) and, once asked for, a server process on them
/// with gauges refreshed every second: the node whose /metrics the tests read.
/// </summary>
public sealed class MetricsApp : CoditectApp
{
    private readonly (string ConnectionString, int Database) _redis = TestRedis.NextDatabase();
    private readonly SemaphoreSlim _starting = new(1, 1);
    private ServerProcess? _node;
    private HttpClient? _http;

    public override DatabaseProvider Provider => DatabaseProvider.Postgres;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [new("ConnectionStrings:Redis", _redis.ConnectionString), new("Metrics:RefreshSeconds", "1")];

    /// <summary>This fixture's settings as a server process's environment, and <paramref name="extra"/> variables.</summary>
    public Dictionary<string, string> NodeEnvironment(params (string Key, string Value)[] extra) =>
        TestSettings.AsEnvironment(AllSettings.Where(s => s.Value is not null).Select(s => KeyValuePair.Create(s.Key, s.Value!)))
            .Append(KeyValuePair.Create("ASPNETCORE_ENVIRONMENT", "Testing"))
            .Concat(extra.Select(e => KeyValuePair.Create(e.Key, e.Value)))
            .ToDictionary();

    /// <summary>A client of the server process (started at the first call), from loopback.</summary>
    public async Task<Client> NodeAsync()
    {
        await _starting.WaitAsync();
        try
        {
            if (_node is null)
            {
                var node = new ServerProcess("metrics-node", NodeEnvironment());
                await node.StartAsync();
                (_node, _http) = (node, new HttpClient { BaseAddress = node.Uri });
            }

            return new Client(_http!, this);
        }
        finally
        {
            _starting.Release();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        _node?.Dispose();
        _http?.Dispose();
        _starting.Dispose();
        await base.DisposeAsync();
    }
}

/// <summary>A server whose metrics are for 10.0.0.0/8 only: a scrape from loopback is a 404 like any unknown address.</summary>
public sealed class MetricsElsewhereTests(MetricsElsewhereApp app) : IClassFixture<MetricsElsewhereApp>
{
    [Fact]
    public async Task Metrics_answer_404_to_an_address_outside_the_allowed_networks()
    {
        var client = app.Anonymous();

        var metrics = await client.GetAsync("/metrics");
        var health = await client.GetAsync("/health");

        metrics.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        await metrics.ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.NotFound);
        health.StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}

public sealed class MetricsElsewhereApp : CoditectApp
{
    public MetricsElsewhereApp() => UseKestrel(0);

    public override DatabaseProvider Provider => DatabaseProvider.Postgres;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Metrics:AllowedNetworks", "10.0.0.0/8")];
}

/// <summary>A parsed Prometheus text exposition.</summary>
public sealed partial class Exposition(string text)
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public string Text { get; } = text;

    public static async Task<Exposition> ScrapeAsync(HttpClient http)
    {
        var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        return new Exposition(body);
    }

    /// <summary>
    /// A scrape made after <paramref name="earlier"/>: the exporter answers from a copy for 300 ms, and the calls between
    /// two scrapes may take less than that (the SQLite ledger answers ten in a few milliseconds).
    /// </summary>
    public static async Task<Exposition> ScrapeNewerAsync(HttpClient http, Exposition earlier)
    {
        for (var attempt = 0; ; attempt++)
        {
            var scrape = await ScrapeAsync(http);
            if (scrape.Text != earlier.Text || attempt == 50)
            {
                return scrape;
            }

            await Task.Delay(100);
        }
    }

    public IEnumerable<string> Names => Samples().Select(s => s.Name).Distinct();

    /// <summary>The lines of the samples of <paramref name="name"/>, for failure messages.</summary>
    public string Lines(string name) => string.Join('\n', Text.Split('\n').Where(l => l.StartsWith(name, StringComparison.Ordinal)));

    public IEnumerable<Sample> Samples(string? name = null, params (string Key, string Value)[] labels)
    {
        foreach (var line in Text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var sampleName = brace >= 0 && brace < space ? line[..brace] : line[..space];
            if (name is not null && sampleName != name)
            {
                continue;
            }

            var found = new Dictionary<string, string>();
            var rest = line[sampleName.Length..];
            if (rest.StartsWith('{'))
            {
                var close = rest.LastIndexOf('}');
                foreach (Match m in Label().Matches(rest[1..close]))
                {
                    found[m.Groups[1].Value] = m.Groups[2].Value;
                }

                rest = rest[(close + 1)..];
            }

            if (labels.All(l => found.GetValueOrDefault(l.Key) == l.Value))
            {
                var value = rest.Trim().Split(' ')[0];
                yield return new Sample(sampleName, found, value switch
                {
                    "+Inf" => double.PositiveInfinity,
                    "-Inf" => double.NegativeInfinity,
                    _ => double.Parse(value, CultureInfo.InvariantCulture),
                });
            }
        }
    }

    /// <summary>The one sample of <paramref name="name"/> with these labels, or null when there is none.</summary>
    public double? Value(string name, params (string Key, string Value)[] labels) =>
        Samples(name, labels).Select(s => (double?)s.Value).SingleOrDefault();

    [GeneratedRegex("""([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"[,]?""")]
    private static partial Regex Label();
}

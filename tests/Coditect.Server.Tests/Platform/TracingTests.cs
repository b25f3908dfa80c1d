using System.Net;
using System.Text.Json;
using Coditect.Testing;

namespace Coditect.Server.Tests.Platform;

/// <summary>
/// The server as a process, as it runs in production (its own Kestrel, JSON logs, <c>OTEL_*</c> from the environment),
/// beside <see cref="MetricsApp"/>'s in-process node on the same PostgreSQL and Redis.
/// </summary>
public sealed class TracingTests(MetricsApp app) : IClassFixture<MetricsApp>
{
    [Fact]
    public async Task With_Metrics_Port_set_metrics_are_served_there_only_and_that_port_serves_nothing_else()
    {
        var metricsPort = Ports.Free();
        using var server = new ServerProcess("metrics-port", app.NodeEnvironment(("Metrics__Port", metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        await server.StartAsync();
        using var http = new HttpClient();
        var metricsUri = new Uri($"http://127.0.0.1:{metricsPort}/");

        var onMetricsPort = await http.GetAsync(new Uri(metricsUri, "metrics"));
        var onMainPort = await http.GetAsync(new Uri(server.Uri, "metrics"));
        var healthOnMetricsPort = await http.GetAsync(new Uri(metricsUri, "health"));
        var healthOnMainPort = await http.GetAsync(new Uri(server.Uri, "health"));

        onMetricsPort.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await onMetricsPort.Content.ReadAsStringAsync()).ShouldContain("http_server_request_duration_seconds");
        onMainPort.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        healthOnMetricsPort.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        healthOnMainPort.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_W3C_traceparent_is_continued_logged_in_the_JSON_scopes_and_exported_over_OTLP()
    {
        using var collector = new OtlpCollector();
        using var server = new ServerProcess("traced", app.NodeEnvironment(
            ("Logging__Format", "json"),
            ("Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics", "Information"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.Endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100")));
        await server.StartAsync();
        var traceId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var parentSpan = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Uri, "api/v1/orgs"));
        request.Headers.Add("traceparent", $"00-{traceId}-{parentSpan}-01");

        (await http.SendAsync(request)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline && !collector.Received(Convert.FromHexString(traceId)))
        {
            await Task.Delay(100);
        }

        collector.Received(Convert.FromHexString(traceId)).ShouldBeTrue("the request's span, in the caller's trace, reached the OTLP endpoint");
        collector.Received(Convert.FromHexString(parentSpan)).ShouldBeTrue("with the caller's span as its parent");
        collector.Paths.ShouldAllBe(path => path == "/v1/traces");
        LogScopesOf(server, "/api/v1/orgs").ShouldContain(traceId);
    }

    [Fact]
    public async Task Without_an_OTLP_endpoint_nothing_is_exported_but_the_logs_still_carry_the_callers_trace_id()
    {
        using var collector = new OtlpCollector(); // listening, but not configured: must receive nothing
        using var server = new ServerProcess("untraced", app.NodeEnvironment(
            ("Logging__Format", "json"),
            ("Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics", "Information")));
        await server.StartAsync();
        var traceId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Uri, "api/v1/orgs"));
        request.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8))}-01");

        var response = await http.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await response.Content.ReadAsStringAsync()).ShouldContain(traceId, Case.Sensitive, "the problem's trace_id is the caller's trace");
        LogScopesOf(server, "/api/v1/orgs").ShouldContain(traceId);
        await Task.Delay(500);
        collector.Paths.ShouldBeEmpty();
    }

    /// <summary>The <c>TraceId</c> values in the JSON log scopes of the lines that mention <paramref name="path"/>.</summary>
    private static List<string> LogScopesOf(ServerProcess server, string path) =>
        [.. server.Log().Where(line => line.StartsWith('{')).Select(line => JsonDocument.Parse(line).RootElement)
            .Where(l => l.GetProperty("Message").GetString()!.Contains(path, StringComparison.Ordinal))
            .SelectMany(l => l.GetProperty("Scopes").EnumerateArray())
            .Where(scope => scope.ValueKind == JsonValueKind.Object && scope.TryGetProperty("TraceId", out _))
            .Select(scope => scope.GetProperty("TraceId").GetString()!)];

    /// <summary>An OTLP/HTTP endpoint that keeps what it is sent (protobuf bodies, searched for ids as raw bytes).</summary>
    private sealed class OtlpCollector : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly List<byte[]> _bodies = [];
        private readonly List<string> _paths = [];

        public OtlpCollector()
        {
            var port = Ports.Free();
            Endpoint = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(Endpoint + "/");
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public string Endpoint { get; }

        public IReadOnlyList<string> Paths
        {
            get
            {
                lock (_bodies)
                {
                    return [.. _paths];
                }
            }
        }

        public bool Received(byte[] bytes)
        {
            lock (_bodies)
            {
                return _bodies.Any(body => body.AsSpan().IndexOf(bytes) >= 0);
            }
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                lock (_bodies)
                {
                    _bodies.Add(body.ToArray());
                    _paths.Add(context.Request.Url!.AbsolutePath);
                }

                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        }

        public void Dispose() => _listener.Close();
    }
}

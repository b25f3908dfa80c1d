using System.Text.Json;
using System.Text.RegularExpressions;

namespace Coditect.Deploy.Tests;

/// <summary>
/// deploy/prometheus and deploy/grafana: the alert rules parse and behave as their unit tests say (promtool), the
/// scrape configuration is valid, and every CODITECT metric the alerts and the dashboard use is one the server
/// documents (docs/operations.md#metrics), so a renamed instrument cannot leave a silent alert behind.
/// </summary>
public sealed partial class MonitoringTests
{
    [Fact]
    public void The_alert_rules_are_valid()
    {
        var (exit, output, error) = Tools.Run(Tools.Promtool, "check", "rules", Tools.PathOf("deploy", "prometheus", "alerts.yaml"));

        exit.ShouldBe(0, output + error);
        output.ShouldContain("SUCCESS");
    }

    [Fact]
    public void The_alert_rules_pass_their_unit_tests_5xx_p99_ledger_fallback_and_outbox_lag()
    {
        var tests = Tools.PathOf("deploy", "prometheus", "alerts.test.yaml");

        var (exit, output, error) = Tools.Run(Tools.Promtool, "test", "rules", tests);

        exit.ShouldBe(0, output + error);
        var text = File.ReadAllText(tests);
        foreach (var alert in new[] { "CoditectHigh5xxRate", "CoditectHighP99Latency", "CoditectLedgerFallback", "CoditectOutboxLag" })
        {
            text.ShouldContain($"alertname: {alert}", customMessage: "each required alert has a unit test");
        }
    }

    [Fact]
    public void The_Prometheus_configuration_is_valid()
    {
        var (exit, output, error) = Tools.Run(Tools.Promtool, "check", "config", Tools.PathOf("deploy", "prometheus", "prometheus.yaml"));

        exit.ShouldBe(0, output + error);
    }

    [Fact]
    public void The_Grafana_dashboard_is_a_dashboard_whose_panels_all_query_something()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Tools.PathOf("deploy", "grafana", "coditect.json")));
        var root = dashboard.RootElement;

        root.GetProperty("uid").GetString().ShouldNotBeNullOrWhiteSpace();
        root.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace();
        var panels = Panels(root).ToList();
        panels.Count.ShouldBeGreaterThan(8);
        foreach (var panel in panels.Where(p => p.GetProperty("type").GetString() != "row"))
        {
            var title = panel.GetProperty("title").GetString();
            panel.GetProperty("targets").EnumerateArray().ShouldNotBeEmpty(title);
            panel.GetProperty("targets").EnumerateArray().ShouldAllBe(t => t.GetProperty("expr").GetString()!.Length > 0, title);
        }

        panels.Select(p => p.GetProperty("id").GetInt32()).ShouldBeUnique();
    }

    [Fact]
    public void Every_CODITECT_metric_the_alerts_and_the_dashboard_use_is_documented()
    {
        var documented = Metric().Matches(File.ReadAllText(Tools.PathOf("docs", "operations.md"))).Select(m => m.Value).ToHashSet();
        var used = Metric().Matches(File.ReadAllText(Tools.PathOf("deploy", "prometheus", "alerts.yaml"))
            + File.ReadAllText(Tools.PathOf("deploy", "grafana", "coditect.json"))).Select(m => Base(m.Value)).ToHashSet();

        used.ShouldNotBeEmpty();
        used.Where(name => !documented.Contains(name)).ShouldBeEmpty("documented in docs/operations.md#metrics");
    }

    /// <summary>A histogram's series are documented under its name: <c>_bucket</c>, <c>_count</c> and <c>_sum</c> are not.</summary>
    private static string Base(string name) =>
        name.EndsWith("_bucket", StringComparison.Ordinal) ? name[..^7]
        : name.EndsWith("_count", StringComparison.Ordinal) ? name[..^6]
        : name.EndsWith("_sum", StringComparison.Ordinal) ? name[..^4]
        : name;

    private static IEnumerable<JsonElement> Panels(JsonElement container)
    {
        foreach (var panel in container.GetProperty("panels").EnumerateArray())
        {
            yield return panel;
            if (panel.TryGetProperty("panels", out _))
            {
                foreach (var inner in Panels(panel))
                {
                    yield return inner;
                }
            }
        }
    }

    [GeneratedRegex(@"\bcoditect_[a-z0-9_]+")]
    private static partial Regex Metric();
}

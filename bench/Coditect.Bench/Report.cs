using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Coditect.Bench;

internal sealed record ScenarioResult(string Name, Shape Shape, IReadOnlyList<string> Operations, IReadOnlyList<StepResult> Steps);

/// <summary>
/// Turns step results into the machine-readable JSON and the Markdown rows of docs/benchmarks.md. A scenario's
/// reported rate is the highest step with zero errors of any kind and every operation's p99 within the bound.
/// </summary>
internal sealed class Report(BenchOptions options, IReadOnlyList<ScenarioResult> results)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string SummaryHeader =>
        "| backend | server processes | scenario | operation | highest zero-error rate (/s) | achieved (/s) | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms " +
        "| first failing step | machine limit (/s) | ratio | target | server RSS MB (start → end) | CPU at that rate |\n" +
        "| --- | --: | --- | --- | --: | --: | --: | --: | --: | --: | --: | --- | --: | --: | --- | --- | --- |";

    public static string StepsHeader =>
        "| backend | server processes | scenario | offered rate (/s) | operation | ok | achieved (/s) | p50 ms | p99 ms | p99.9 ms | max ms | non-2xx | transport errors | dropped | result | CPU |\n" +
        "| --- | --: | --- | --: | --- | --: | --: | --: | --: | --: | --: | --- | --- | --: | --- | --- |";

    /// <summary>
    /// What a step cost: the load generator's share of the machine's busy CPU (it shares the cores with the server) and
    /// the server processes' CPU per call of the scenario's first operation (a churn iteration is its acquire).
    /// </summary>
    public static string Cpu(StepResult step, OperationStats lead)
    {
        if (step.Cpu is not { } cpu)
        {
            return "";
        }

        var busy = (cpu.Server ?? 0) + (cpu.Postgres ?? 0) + cpu.Generator + cpu.Other;
        var share = busy > 0 ? cpu.Generator / busy : 0;
        var achieved = step.Achieved(lead);
        var perCall = cpu.Server is { } server && achieved > 0 ? $", server {server * 1e6 / achieved:F0} µs per call" : "";
        return string.Create(Invariant, $"load generator {share:P0} of busy ({cpu.Generator:F2} cores), idle {cpu.Idle:F2} cores{perCall}");
    }

    public static bool Passed(StepResult step, BenchOptions options) =>
        step.Errors == 0 && step.Operations.Values.All(op => op.Successes > 0 && op.Latency.Percentile(99) <= options.MaxP99Ms * 1000);

    public static string Describe(StepResult step, BenchOptions options)
    {
        var parts = step.Operations.Values.Select(op =>
            $"{op.Name} ok={op.Successes} achieved={step.Achieved(op):F0}/s p50={Ms(op.Latency.Percentile(50))} p99={Ms(op.Latency.Percentile(99))} " +
            $"max={Ms(op.Latency.MaxMicroseconds)} ms{Failures(op)}");
        return string.Join("; ", parts) + (step.StillInFlight > 0 ? $"; {step.StillInFlight} never answered" : "") +
            (Passed(step, options) ? " -> pass" : " -> FAIL");
    }

    public IEnumerable<string> SummaryRows()
    {
        foreach (var scenario in results)
        {
            var passed = scenario.Steps.Where(s => Passed(s, options)).MaxBy(s => s.Rate);
            var failed = scenario.Steps.Where(s => !Passed(s, options) && s.Rate > (passed?.Rate ?? 0)).MinBy(s => s.Rate);
            var shown = passed ?? scenario.Steps.MinBy(s => s.Rate)!;
            var unbounded = options.Search && failed is null && passed is not null ? "≥ " : "";
            foreach (var name in scenario.Operations)
            {
                var op = shown.Operations[name];
                var lead = name == scenario.Operations[0];
                var repeated = passed is not null && scenario.Steps.Any(s => s.Rate == passed.Rate && !Passed(s, options)) ? " (on a repeat)" : "";
                var rate = passed is null ? $"none (lowest step {shown.Rate:F0} failed)" : unbounded + passed.Rate.ToString("F0", Invariant) + repeated;
                var (pgbench, ratio, target) = lead ? Limit(scenario.Name, passed, failed, scenario.Steps.Max(s => s.Rate)) : ("", "", "");
                yield return Row(options.Backend, options.ProcessCount.ToString(Invariant), $"{scenario.Name} ({Shape(scenario.Shape)})", name, rate,
                    shown.Achieved(op).ToString("F0", Invariant), Ms(op.Latency.Percentile(50)), Ms(op.Latency.Percentile(90)),
                    Ms(op.Latency.Percentile(99)), Ms(op.Latency.Percentile(99.9)), Ms(op.Latency.MaxMicroseconds),
                    lead ? FailureSummary(failed) : "", pgbench, ratio, target, lead ? Rss(scenario) : "", lead ? Cpu(shown, op) : "");
            }
        }
    }

    public IEnumerable<string> StepRows()
    {
        foreach (var scenario in results)
        {
            foreach (var step in scenario.Steps)
            {
                foreach (var op in step.Operations.Values)
                {
                    yield return Row(options.Backend, options.ProcessCount.ToString(Invariant), scenario.Name, step.Rate.ToString("F0", Invariant), op.Name,
                        op.Successes.ToString(Invariant), step.Achieved(op).ToString("F0", Invariant), Ms(op.Latency.Percentile(50)),
                        Ms(op.Latency.Percentile(99)), Ms(op.Latency.Percentile(99.9)), Ms(op.Latency.MaxMicroseconds),
                        string.Join(" ", op.Statuses.OrderBy(s => s.Key).Select(s => $"{s.Value}×{s.Key}")),
                        string.Join(" ", op.Transport.Select(t => $"{t.Value}×{t.Key}")), op.Dropped.ToString(Invariant),
                        Passed(step, options) ? "pass" : "FAIL", op == step.Operations.Values.First() ? Cpu(step, op) : "");
                }
            }
        }
    }

    public async Task WriteAsync()
    {
        if (options.JsonPath is { } json)
        {
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(Document(), Indented));
        }

        if (options.MarkdownPath is { } markdown)
        {
            await File.AppendAllLinesAsync(markdown, SummaryRows());
        }

        if (options.StepsMarkdownPath is { } steps)
        {
            await File.AppendAllLinesAsync(steps, StepRows());
        }
    }

    /// <summary>Heartbeats a second with Redis that issue 4 asks for (a million seats at a 2-minute interval), and their p99 bound.</summary>
    public const double RedisHeartbeatTarget = 8_300;
    public const double RedisHeartbeatP99Ms = 25;

    private bool WithRedis => options.Backend.Contains("redis", StringComparison.Ordinal);

    /// <summary>
    /// The machine's limit for this scenario's work, this scenario's share of it, and the issue's target. Heartbeats with
    /// Redis are measured against redis-benchmark EVALSHA of the ledger's heartbeat script; everything else against
    /// pgbench of the same SQL on the same data shape (acquire and release with Redis still run PostgreSQL's batch).
    /// </summary>
    private (string Limit, string Ratio, string Target) Limit(string scenario, StepResult? passed, StepResult? failed, double highestTried)
    {
        var heartbeat = scenario.StartsWith("heartbeat", StringComparison.Ordinal);
        if (WithRedis && heartbeat)
        {
            var verdict = RedisVerdict(passed, failed, highestTried);
            return options.RedisEvalsha is { } evalsha and > 0
                ? ($"{evalsha.ToString("F0", Invariant)} (the Redis script alone)", ((passed?.Rate ?? 0) / evalsha).ToString("P1", Invariant), verdict)
                : ("not measured", "", verdict);
        }

        var target = options.Backend != "postgres" ? null
            : scenario.StartsWith("churn", StringComparison.Ordinal) ? (double?)0.60
            : 0.70;
        if (!options.Pgbench.TryGetValue(scenario, out var limit) || limit <= 0)
        {
            return ("not measured", "", target is null ? "" : $"≥ {target:P0} of pgbench");
        }

        var ratio = (passed?.Rate ?? 0) / limit;
        var pgVerdict = target is null ? "" : $"≥ {target:P0} of pgbench: {(ratio >= target ? "met" : "missed")}";
        return ($"{limit.ToString("F0", Invariant)} (pgbench)", ratio.ToString("P0", Invariant), pgVerdict);
    }

    /// <summary>
    /// Met only when a passing step at ≥ 8,300/s had p99 ≤ 25 ms; missed when it had a higher p99 or a step at or below
    /// 8,300/s failed (an error, or p99 over this run's bound). Otherwise this run did not decide it, and says so.
    /// </summary>
    private static string RedisVerdict(StepResult? passed, StepResult? failed, double highestTried)
    {
        var label = $"≥ {RedisHeartbeatTarget.ToString("N0", Invariant)}/s, p99 ≤ {RedisHeartbeatP99Ms.ToString("F0", Invariant)} ms";
        if (passed is not null && passed.Rate >= RedisHeartbeatTarget)
        {
            var p99 = passed.Operations["heartbeat"].Latency.Percentile(99) / 1000.0;
            return $"{label}: {(p99 <= RedisHeartbeatP99Ms ? "met" : $"missed (p99 {p99.ToString("F1", Invariant)} ms)")}";
        }

        if (failed is not null)
        {
            return failed.Rate <= RedisHeartbeatTarget
                ? $"{label}: missed (failed at {failed.Rate.ToString("F0", Invariant)}/s)"
                : $"{label}: not decided (passed {(passed?.Rate ?? 0).ToString("F0", Invariant)}/s, failed {failed.Rate.ToString("F0", Invariant)}/s)";
        }

        return $"{label}: not tested (highest rate offered {highestTried.ToString("F0", Invariant)}/s)";
    }

    private object Document() => new
    {
        backend = options.Backend,
        server_processes = options.ProcessCount,
        servers = options.Servers.Select(s => s.ToString()),
        duration_seconds = options.Duration.TotalSeconds,
        warmup_seconds = options.Warmup.TotalSeconds,
        max_p99_ms = options.MaxP99Ms,
        max_in_flight = options.MaxInFlight,
        timeout_seconds = options.Timeout.TotalSeconds,
        pgbench = options.Pgbench,
        redis_evalsha = options.RedisEvalsha,
        scenarios = results.Select(s => new
        {
            name = s.Name,
            shape = new
            {
                name = s.Shape.Name,
                licenses = s.Shape.Licenses,
                seats_per_license = s.Shape.Seats,
                held_sessions = s.Shape.HeldSessions,
                create_licenses_seconds = s.Shape.Times.CreateLicensesSeconds,
                acquire_held_seconds = s.Shape.Times.AcquireHeldSeconds,
            },
            highest_zero_error_rate = s.Steps.Where(step => Passed(step, options)).Select(step => (double?)step.Rate).Max(),
            steps = s.Steps.Select(step => new
            {
                offered_rate = step.Rate,
                passed = Passed(step, options),
                never_answered = step.StillInFlight,
                server_rss_kb_before = step.RssBeforeKb,
                server_rss_kb_after = step.RssAfterKb,
                cpu_cores = step.Cpu is { } cpu
                    ? new { seconds = cpu.Seconds, server = cpu.Server, postgres = cpu.Postgres, load_generator = cpu.Generator, other = cpu.Other, idle = cpu.Idle }
                    : null,
                operations = step.Operations.Values.Select(op => new
                {
                    name = op.Name,
                    successes = op.Successes,
                    achieved_per_second = step.Achieved(op),
                    latency_ms = new
                    {
                        p50 = op.Latency.Percentile(50) / 1000.0,
                        p90 = op.Latency.Percentile(90) / 1000.0,
                        p99 = op.Latency.Percentile(99) / 1000.0,
                        p99_9 = op.Latency.Percentile(99.9) / 1000.0,
                        max = op.Latency.MaxMicroseconds / 1000.0,
                    },
                    non_2xx = op.Statuses.ToDictionary(p => p.Key.ToString(Invariant), p => p.Value),
                    transport_errors = op.Transport,
                    dropped = op.Dropped,
                    error_samples = op.ErrorSamples,
                }),
            }),
        }),
    };

    private static string Shape(Shape shape) =>
        $"{shape.Licenses:N0} × {shape.Seats:N0} seats, {shape.HeldSessions:N0} held";

    private string Rss(ScenarioResult scenario)
    {
        if (options.Pids.Count == 0)
        {
            return "";
        }

        var start = scenario.Steps[0].RssBeforeKb.Sum() / 1024;
        var end = scenario.Steps[^1].RssAfterKb.Sum() / 1024;
        return $"{start} → {end}";
    }

    private string FailureSummary(StepResult? failed)
    {
        if (failed is null)
        {
            return options.Search ? "none up to the last step" : "";
        }

        var why = new List<string>();
        foreach (var op in failed.Operations.Values)
        {
            var f = Failures(op).Trim(' ', ',');
            if (f.Length > 0)
            {
                why.Add($"{op.Name} {f}");
            }

            var p99 = op.Latency.Percentile(99);
            if (p99 > options.MaxP99Ms * 1000)
            {
                why.Add($"{op.Name} p99 {Ms(p99)} ms");
            }
        }

        return $"{failed.Rate:F0}/s: {string.Join(", ", why)}";
    }

    internal static string Failures(OperationStats op)
    {
        var text = new StringBuilder();
        foreach (var (status, count) in op.Statuses.OrderBy(s => s.Key))
        {
            text.Append(Invariant, $", {count}×{status}");
        }

        foreach (var (kind, count) in op.Transport)
        {
            text.Append(Invariant, $", {count}×{kind}");
        }

        foreach (var (kind, count) in op.Invalid)
        {
            text.Append(Invariant, $", {count}×{kind}");
        }

        if (op.Dropped > 0)
        {
            text.Append(Invariant, $", {op.Dropped} dropped (over --max-in-flight)");
        }

        return text.ToString();
    }

    internal static string Ms(long microseconds) => (microseconds / 1000.0).ToString("F1", Invariant);

    private static string Row(params string[] cells) => "| " + string.Join(" | ", cells) + " |";
}

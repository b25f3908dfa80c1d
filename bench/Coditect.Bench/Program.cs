using Coditect.Bench;

// The load generator of bench/run.sh: sets up its own data through the API of a running server, then drives each
// scenario at fixed arrival rates (a list, or a step search) and writes JSON and Markdown results. See README.md.
// bench/webhooks.sh's receiver: a separate mode of this tool (WebhookReceiver.cs).
if (args is ["webhook-receiver", .. var receiverArgs])
{
    return await WebhookReceiver.RunAsync(receiverArgs);
}

// bench/sqlite.sh's machine limit: the SQLite ledger's statements in a single-writer loop (SqliteLoop.cs).
if (args is ["sqlite-loop", .. var loopArgs])
{
    return SqliteLoop.Run(loopArgs);
}

// bench/run.sh's signature cost: the server's signers and the SDK's verifier, per algorithm (SignatureCost.cs).
if (args is ["signature-cost", .. var signatureArgs])
{
    return SignatureCost.Run(signatureArgs);
}

// bench/redis.sh's machine limit: the Redis ledger's own heartbeat script, called directly (RedisLoop.cs).
if (args is ["redis-loop", .. var redisArgs])
{
    return await RedisLoop.RunAsync(redisArgs);
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception error) when (error is ArgumentException or FormatException or UriFormatException)
{
    Console.Error.WriteLine($"coditect-bench: {error.Message}");
    Console.Error.WriteLine("usage: Coditect.Bench --url http://127.0.0.1:PORT[,...] [--scenario all|churn-hot,...|console] [--rate R[,R...] | --search --start-rate R]");
    Console.Error.WriteLine("       [--duration S] [--warmup S] [--cold-licenses N] [--json FILE] [--markdown FILE] (full list: bench/Coditect.Bench/README.md)");
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

using var api = new CoditectApi(options.Servers, options.MaxInFlight, options.Timeout);
var memory = new ProcessMemory(options.Pids);
var loop = new OpenLoop(options.MaxInFlight, options.Timeout, new CpuSampler(options.Pids, options.PostgresPid),
    options.TimelinePath is { } timelinePath ? new Timeline(timelinePath) : null);
await api.RegisterAsync(stop.Token);
if (options.IsConsole)
{
    return await ConsoleScenario.RunAsync(options, api, loop, memory, stop.Token);
}

if (options.IsDevContext)
{
    return await DevContextScenario.RunAsync(options, api, loop, memory, stop.Token);
}

if (options.IsMessages)
{
    return await MessagesScenario.RunAsync(options, api, loop, memory, stop.Token);
}

// --after-setup: run once per new data shape, before its first step.
async Task<Shape> AfterSetupAsync(Shape shape)
{
    if (options.AfterSetup is { } command)
    {
        using var process = System.Diagnostics.Process.Start("/bin/sh", ["-c", command]);
        await process.WaitForExitAsync(stop.Token);
        Console.Error.WriteLine($"[bench] after setup: {command} (exit {process.ExitCode})");
    }

    return shape;
}

Shape? hot = null;
Shape? cold = null;
var results = new List<ScenarioResult>();
foreach (var scenario in options.Scenarios)
{
    var shape = scenario.EndsWith("-hot", StringComparison.Ordinal)
        ? hot ??= await AfterSetupAsync(await Shape.CreateAsync(api, "hot", 1, options.HotSeats, options.HotSessions, options.SetupConcurrency, stop.Token))
        : cold ??= await AfterSetupAsync(await Shape.CreateAsync(api, "cold", options.ColdLicenses, options.ColdSeats, options.ColdSessions, options.SetupConcurrency, stop.Token));
    IWorkload workload = scenario.StartsWith("churn", StringComparison.Ordinal) ? new ChurnWorkload(api, shape) : new HeartbeatWorkload(api, shape);
    var steps = new List<StepResult>();
    foreach (var rate in StepPlan(options, steps))
    {
        var step = await loop.RunAsync(workload, rate, options.Warmup, options.Duration, memory, stop.Token);
        steps.Add(step);
        Console.Error.WriteLine($"[bench] {options.Backend} x{options.ProcessCount} {scenario} @ {rate:F0}/s: {Report.Describe(step, options)}");
        await Task.Delay(TimeSpan.FromSeconds(1), stop.Token);
    }

    results.Add(new ScenarioResult(scenario, shape, workload.Operations, steps));
}

var report = new Report(options, results);
Console.WriteLine(Report.SummaryHeader);
foreach (var row in report.SummaryRows())
{
    Console.WriteLine(row);
}

await report.WriteAsync();
return 0;

// A fixed list of rates, or a step search: multiply the rate until a step fails (an error, or p99 over the bound) and
// still fails when run again (--retries times: one stall should not end the search), then bisect between the last
// passing and the first failing rate --refine times. Every run of a step is reported.
static IEnumerable<double> StepPlan(BenchOptions options, List<StepResult> done)
{
    if (!options.Search)
    {
        foreach (var rate in options.Rates)
        {
            yield return rate;
        }

        yield break;
    }

    var next = options.StartRate;
    for (var i = 0; i < options.MaxSteps && next <= options.MaxRate; i++)
    {
        yield return next;
        for (var retry = 0; retry < options.Retries && !Report.Passed(done[^1], options); retry++)
        {
            yield return next;
        }

        if (!Report.Passed(done[^1], options))
        {
            break;
        }

        next = Math.Round(next * options.StepFactor);
    }

    for (var i = 0; i < options.Refine; i++)
    {
        var passed = done.Where(s => Report.Passed(s, options)).Select(s => s.Rate).DefaultIfEmpty(0).Max();
        var failed = done.Where(s => !Report.Passed(s, options) && s.Rate > passed).Select(s => s.Rate).DefaultIfEmpty(0).Min();
        if (passed == 0 || failed == 0 || failed - passed < Math.Max(10, passed * 0.1))
        {
            yield break;
        }

        yield return Math.Round((passed + failed) / 2);
    }
}

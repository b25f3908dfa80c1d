using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Coditect.Bench;

/// <summary>
/// The <c>console</c> scenario (issue 11): the web console's licences list and a licence's page under a fixed arrival
/// rate, signed in through the sign-in form like a person. Data: the cold shape (10,000 licences by default) and the
/// hot licence with its held sessions (5,000 by default), in the one organization the registered user owns. Each page
/// must answer 200 with a whole HTML document (<c>&lt;/html&gt;</c>); anything else is an error. A page passes with
/// zero errors and p95 within <c>--max-p95-ms</c> (50).
/// </summary>
internal static partial class ConsoleScenario
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string Header(BenchOptions options) =>
        $"| backend | page | offered rate (/s, all pages) | achieved (/s, this page) | ok | p50 ms | p95 ms | p99 ms | max ms | errors | HTML KiB | p95 ≤ {options.MaxP95Ms.ToString("0.#", Invariant)} ms, zero errors |\n" +
        "| --- | --- | --: | --: | --: | --: | --: | --: | --: | --- | --: | --- |";

    public static async Task<int> RunAsync(BenchOptions options, CoditectApi api, OpenLoop loop, ProcessMemory memory, CancellationToken ct)
    {
        // Cold first, then the hot licence: the list is newest first, so its first page shows the hot licence too.
        var cold = await Shape.CreateAsync(api, "cold", options.ColdLicenses, options.ColdSeats, options.ColdSessions, options.SetupConcurrency, ct);
        var hot = await Shape.CreateAsync(api, "hot", 1, options.HotSeats, options.HotSessions, options.SetupConcurrency, ct);
        using var console = new ConsoleClient(api.Servers, options.MaxInFlight, options.Timeout);
        await console.SignInAsync(api.Email, CoditectApi.Password, ct);
        Console.Error.WriteLine($"[bench] console: signed in as {api.Email} through /signin (cookie {ConsoleClient.SessionCookie})");

        var org = Uri.EscapeDataString(api.OrgSlug);
        var pages = new ConsolePage[]
        {
            new("licenses", "licences list, first page", $"/orgs/{org}/licenses"),
            new("license", $"licence page ({hot.HeldSessions:N0} live sessions)", $"/orgs/{org}/licenses/{hot.LicenseId(0)}"),
            new("licenses-search", $"licences list, ?search={options.ConsoleSearch}", $"/orgs/{org}/licenses?search={Uri.EscapeDataString(options.ConsoleSearch)}"),
        };
        var before = await CheckDataAsync(console, pages, options, strict: true, ct);
        Console.Error.WriteLine($"[bench] console: data as the pages show it before the run: {before}");

        var workload = new ConsoleWorkload(console, pages);
        var sampler = new CpuSampler(memory.Pids, options.PostgresPid);
        var steps = new List<StepResult>();
        var sizes = new List<IReadOnlyDictionary<string, double>>();
        var windows = new List<CpuWindow?>();
        foreach (var rate in options.Rates)
        {
            workload.ResetSizes();
            Console.Error.WriteLine($"[bench] console: warm-up starts: {rate:F0}/s, {options.Warmup.TotalSeconds:F0} s warm-up, then {options.Duration.TotalSeconds:F0} s measured");
            // The CPU of each process group over the measured window, which begins after the warm-up (OpenLoop starts
            // 10 ms from now); taken beside the loop so the loop itself is unchanged.
            var window = MeasureWindowAsync(sampler, options.Warmup + TimeSpan.FromMilliseconds(10), options.Duration, ct);
            var step = await loop.RunAsync(workload, rate, options.Warmup, options.Duration, memory, ct);
            steps.Add(step);
            sizes.Add(workload.MeanSizes());
            windows.Add(await window);
            Console.Error.WriteLine($"[bench] {options.Backend} console @ {rate:F0}/s: {Describe(step, options)}");
            if (windows[^1] is { } w)
            {
                Console.Error.WriteLine($"[bench] console: CPU over the measured window: {w.Describe()}");
            }

            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }

        var costs = await CostAsync(console, pages, options, sampler, ct);

        // The held sessions must still be live at the end (a lease TTL shorter than setup + run would empty the page).
        var after = await CheckDataAsync(console, pages, options, strict: false, ct);
        Console.Error.WriteLine($"[bench] console: data as the pages show it after the run: {after}");

        var rows = Rows(options, pages, steps, sizes).ToList();
        Console.WriteLine(Header(options));
        rows.ForEach(Console.WriteLine);
        var costRows = costs.Select(c => "| " + string.Join(" | ", options.Backend, c.Page.Label, c.Requests.ToString(Invariant),
            c.Errors == 0 ? "0" : $"{c.Errors} ({c.FirstError})", Report.Ms(c.Latency.Percentile(50)), Report.Ms(c.Latency.Percentile(95)),
            Report.Ms(c.Latency.MaxMicroseconds), PerRequest(c.ServerCpuMs, c.Requests, "no --pids"),
            PerRequest(c.PostgresCpuMs, c.Requests, options.PostgresPid is null ? "no --pg-pid" : "?")) + " |").ToList();
        var cpuRows = steps.Select((step, i) => windows[i] is { } w
            ? "| " + string.Join(" | ", options.Backend, step.Rate.ToString("0.#", Invariant), w.LoadAverage, w.Seconds.ToString("F1", Invariant) + " s",
                Cores(w.Server), Cores(w.Postgres), Cores(w.Generator), Cores(w.Other), $"{Cores(w.Idle)} of {w.Cores}") + " |"
            : $"| {options.Backend} | {step.Rate.ToString("0.#", Invariant)} | not measured (no /proc) | | | | | | |").ToList();
        if (costRows.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine(CostHeader);
            costRows.ForEach(Console.WriteLine);
        }

        Console.WriteLine();
        Console.WriteLine(CpuHeader);
        cpuRows.ForEach(Console.WriteLine);

        if (options.MarkdownPath is { } markdown)
        {
            await File.AppendAllLinesAsync(markdown, rows, ct);
        }

        if (options.CostMarkdownPath is { } costMarkdown)
        {
            await File.AppendAllLinesAsync(costMarkdown, costRows, ct);
        }

        if (options.CpuMarkdownPath is { } cpuMarkdown)
        {
            await File.AppendAllLinesAsync(cpuMarkdown, cpuRows, ct);
        }

        if (options.JsonPath is { } json)
        {
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(Document(options, pages, cold, hot, before, after, steps, sizes, windows, costs), Indented), ct);
        }

        return 0;
    }

    public const string CostHeader =
        "| backend | page | requests, one at a time | errors | p50 ms | p95 ms | max ms | server CPU ms per request | PostgreSQL CPU ms per request |\n" +
        "| --- | --- | --: | --- | --: | --: | --: | --: | --: |";

    public const string CpuHeader =
        "| backend | offered rate (/s) | load average at the window's start | window | server | PostgreSQL | load generator | other processes | idle |\n" +
        "| --- | --: | --- | --: | --: | --: | --: | --: | --: |";

    private static string Cores(double? cores) => cores is { } c ? c.ToString("F2", Invariant) : "?";

    private static string PerRequest(double? ms, int requests, string missing) =>
        ms is { } m ? (m / requests).ToString("F1", Invariant) : $"not measured ({missing})";

    private static async Task<CpuWindow?> MeasureWindowAsync(CpuSampler sampler, TimeSpan until, TimeSpan duration, CancellationToken ct)
    {
        await Task.Delay(until, ct);
        var first = sampler.Take();
        await Task.Delay(duration, ct);
        return first is null || sampler.Take() is not { } last ? null : CpuWindow.Between(first.Value, last);
    }

    /// <summary>What one page costs on its own: --cost-requests GETs one after another, and the CPU time spent meanwhile.</summary>
    private sealed record PageCost(ConsolePage Page, int Requests, int Errors, string? FirstError, LatencyHistogram Latency, double? ServerCpuMs, double? PostgresCpuMs);

    private static async Task<List<PageCost>> CostAsync(ConsoleClient console, ConsolePage[] pages, BenchOptions options, CpuSampler sampler, CancellationToken ct)
    {
        var costs = new List<PageCost>();
        if (options.CostRequests <= 0)
        {
            return costs;
        }

        // After an overloaded step the server may still be working through requests the generator gave up on: wait
        // (at most a minute) until it uses under a quarter of a core, then warm each page 20 times more, so that these
        // figures are the pages' own and not the backlog's.
        for (var waited = 0; waited < 60; waited++)
        {
            var first = sampler.Take();
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            if (first is null || sampler.Take() is not { } last || CpuWindow.Between(first.Value, last).Server is not { } busy || busy < 0.25)
            {
                break;
            }
        }

        foreach (var page in pages)
        {
            for (var i = 0; i < 20; i++)
            {
                await TryGetAsync(console, page, ct);
            }
        }

        foreach (var page in pages)
        {
            var latency = new LatencyHistogram();
            var errors = 0;
            string? firstError = null;
            var before = sampler.Take();
            for (var i = 0; i < options.CostRequests; i++)
            {
                var start = Stopwatch.GetTimestamp();
                var (answer, error) = await TryGetAsync(console, page, ct);
                latency.Record(OperationStats.Microseconds(Stopwatch.GetTimestamp() - start));
                if (error is not null)
                {
                    errors++;
                    firstError ??= error;
                }
                else if (answer.Status != 200 || !answer.IsHtml)
                {
                    errors++;
                    firstError ??= $"{answer.Status}{(answer.IsHtml ? "" : " without </html>")}";
                }
            }

            var after = sampler.Take();
            var window = before is { } b && after is { } a ? CpuWindow.Between(b, a) : null;
            var cost = new PageCost(page, options.CostRequests, errors, firstError, latency,
                window?.Server * window?.Seconds * 1000, window?.Postgres * window?.Seconds * 1000);
            costs.Add(cost);
            Console.Error.WriteLine($"[bench] console: {page.Label}, {options.CostRequests} requests one at a time: p50 {Report.Ms(latency.Percentile(50))} ms, " +
                $"server CPU {PerRequest(cost.ServerCpuMs, cost.Requests, "no --pids")} ms, PostgreSQL CPU {PerRequest(cost.PostgresCpuMs, cost.Requests, "no --pg-pid")} ms " +
                $"per request{(errors > 0 ? $", {errors} errors ({firstError})" : "")}");
        }

        return costs;
    }

    private static async Task<(PageAnswer Answer, string? Error)> TryGetAsync(ConsoleClient console, ConsolePage page, CancellationToken ct)
    {
        try
        {
            return (await console.GetAsync(page.Path, ct), null);
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or IOException)
        {
            return (default, error is TaskCanceledException ? "timeout" : error.GetType().Name);
        }
    }

    public static bool Passed(OperationStats op, BenchOptions options) =>
        op.Errors == 0 && op.Successes > 0 && op.Latency.Percentile(95) <= options.MaxP95Ms * 1000;

    public static bool Passed(StepResult step, BenchOptions options) =>
        step.StillInFlight == 0 && step.Operations.Values.All(op => Passed(op, options));

    private static string Describe(StepResult step, BenchOptions options) =>
        string.Join("; ", step.Operations.Values.Select(op =>
            $"{op.Name} ok={op.Successes} p50={Report.Ms(op.Latency.Percentile(50))} p95={Report.Ms(op.Latency.Percentile(95))} " +
            $"p99={Report.Ms(op.Latency.Percentile(99))} max={Report.Ms(op.Latency.MaxMicroseconds)} ms{Report.Failures(op)}")) +
        (step.StillInFlight > 0 ? $"; {step.StillInFlight} never answered" : "") + (Passed(step, options) ? " -> pass" : " -> FAIL");

    private static IEnumerable<string> Rows(BenchOptions options, ConsolePage[] pages, List<StepResult> steps, List<IReadOnlyDictionary<string, double>> sizes)
    {
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            foreach (var page in pages)
            {
                var op = step.Operations[page.Operation];
                var errors = Report.Failures(op).Trim(',', ' ');
                if (step.StillInFlight > 0 && page == pages[0])
                {
                    errors = (errors.Length > 0 ? errors + ", " : "") + $"{step.StillInFlight} never answered (all pages)";
                }

                yield return "| " + string.Join(" | ",
                    options.Backend, page.Label, step.Rate.ToString("0.#", Invariant), step.Achieved(op).ToString("F1", Invariant),
                    op.Successes.ToString(Invariant), Report.Ms(op.Latency.Percentile(50)), Report.Ms(op.Latency.Percentile(95)),
                    Report.Ms(op.Latency.Percentile(99)), Report.Ms(op.Latency.MaxMicroseconds), errors.Length == 0 ? "0" : errors,
                    (sizes[i].GetValueOrDefault(page.Operation) / 1024).ToString("F0", Invariant),
                    Passed(op, options) && step.StillInFlight == 0 ? "pass" : "**FAIL**") + " |";
            }
        }
    }

    /// <summary>
    /// One GET of each page, read for what it says about the data: the list's total, the search's total, and the hot
    /// licence's live sessions. The hot licence must show every held session (else the data is not what the rows claim):
    /// before the run (<paramref name="strict"/>) anything else stops the scenario; after it, it is reported.
    /// </summary>
    private static async Task<string> CheckDataAsync(ConsoleClient console, ConsolePage[] pages, BenchOptions options, bool strict, CancellationToken ct)
    {
        var found = new List<string>();
        foreach (var page in pages)
        {
            var (answer, error) = await TryGetAsync(console, page, ct);
            if (error is not null || answer.Status != 200 || !answer.IsHtml)
            {
                var what = $"GET {page.Path} answered {error ?? answer.Status.ToString(Invariant)}{(error is null && !answer.IsHtml ? " without </html>" : "")}";
                found.Add($"{page.Label}: **{what}**");
                if (strict)
                {
                    throw new InvalidOperationException($"{what}: {answer.Sample}");
                }

                continue;
            }

            var text = answer.Text;
            if (page.Operation == "license")
            {
                var seats = SessionsCount().Match(text);
                if (!seats.Success)
                {
                    found.Add($"{page.Label}: live-session count not found in the page");
                    continue;
                }

                var live = int.Parse(seats.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), Invariant);
                var rows = TableRows().Count(Section(text, "id=\"sessions-table\""));
                found.Add($"{page.Label}: \"{live} of {seats.Groups[2].Value} seats in use\", {rows} session rows rendered, {answer.Body.Length / 1024} KiB");
                if (live != options.HotSessions)
                {
                    var what = $"the hot licence's page shows {live} live sessions, not the {options.HotSessions} held";
                    found.Add($"**{what}**");
                    if (strict)
                    {
                        throw new InvalidOperationException($"{what}: the data is not the benchmark's");
                    }
                }
            }
            else
            {
                var total = ListTotal().Match(text);
                var rows = TableRows().Count(Section(text, "id=\"licenses\""));
                found.Add($"{page.Label}: {(total.Success ? total.Groups[1].Value : "?")} licence(s), {rows} rows rendered, {answer.Body.Length / 1024} KiB");
            }
        }

        return string.Join("; ", found);
    }

    /// <summary>The text of the table that starts at <paramref name="marker"/> up to its end (empty when absent).</summary>
    private static string Section(string text, string marker)
    {
        var start = text.IndexOf(marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return "";
        }

        var end = text.IndexOf("</table>", start, StringComparison.Ordinal);
        var body = text.IndexOf("<tbody", start, StringComparison.Ordinal);
        return body < 0 || end < 0 || body > end ? "" : text[body..end];
    }

    [GeneratedRegex(@"id=""sessions-count""[^>]*>\s*([\d,]+) of ([\d,]+) seat")]
    private static partial Regex SessionsCount();

    [GeneratedRegex(@"([\d,]+) licences?\s*</span>")]
    private static partial Regex ListTotal();

    [GeneratedRegex(@"<tr[\s>]")]
    private static partial Regex TableRows();

    private static object Document(BenchOptions options, ConsolePage[] pages, Shape cold, Shape hot, string before, string after,
        List<StepResult> steps, List<IReadOnlyDictionary<string, double>> sizes, List<CpuWindow?> windows, List<PageCost> costs) => new
    {
        backend = options.Backend,
        scenario = "console",
        servers = options.Servers.Select(s => s.ToString()),
        duration_seconds = options.Duration.TotalSeconds,
        warmup_seconds = options.Warmup.TotalSeconds,
        max_p95_ms = options.MaxP95Ms,
        data = new
        {
            cold_licenses = cold.Licenses,
            cold_seats_per_license = cold.Seats,
            cold_held_sessions = cold.HeldSessions,
            hot_seats = hot.Seats,
            hot_held_sessions = hot.HeldSessions,
            create_licenses_seconds = cold.Times.CreateLicensesSeconds + hot.Times.CreateLicensesSeconds,
            acquire_held_seconds = cold.Times.AcquireHeldSeconds + hot.Times.AcquireHeldSeconds,
            pages_before = before,
            pages_after = after,
        },
        pages = pages.Select(p => new { operation = p.Operation, label = p.Label, path = p.Path }),
        one_at_a_time = costs.Select(c => new
        {
            page = c.Page.Operation,
            requests = c.Requests,
            p50_ms = c.Latency.Percentile(50) / 1000.0,
            p95_ms = c.Latency.Percentile(95) / 1000.0,
            max_ms = c.Latency.MaxMicroseconds / 1000.0,
            errors = c.Errors,
            first_error = c.FirstError,
            server_cpu_ms_per_request = c.ServerCpuMs / c.Requests,
            postgres_cpu_ms_per_request = c.PostgresCpuMs / c.Requests,
        }),
        steps = steps.Select((step, i) => new
        {
            offered_rate = step.Rate,
            passed = Passed(step, options),
            never_answered = step.StillInFlight,
            server_rss_kb_before = step.RssBeforeKb,
            server_rss_kb_after = step.RssAfterKb,
            cpu_cores_over_window = windows[i],
            pages = step.Operations.Values.Select(op => new
            {
                name = op.Name,
                successes = op.Successes,
                achieved_per_second = step.Achieved(op),
                mean_html_bytes = sizes[i].GetValueOrDefault(op.Name),
                latency_ms = new
                {
                    p50 = op.Latency.Percentile(50) / 1000.0,
                    p90 = op.Latency.Percentile(90) / 1000.0,
                    p95 = op.Latency.Percentile(95) / 1000.0,
                    p99 = op.Latency.Percentile(99) / 1000.0,
                    max = op.Latency.MaxMicroseconds / 1000.0,
                },
                non_2xx = op.Statuses.ToDictionary(p => p.Key.ToString(Invariant), p => p.Value),
                invalid = op.Invalid,
                transport_errors = op.Transport,
                dropped = op.Dropped,
                error_samples = op.ErrorSamples,
            }),
        }),
    };
}

/// <summary>
/// CPU time from /proc (Linux), in milliseconds: the server processes (<c>--pids</c>), PostgreSQL (<c>--pg-pid</c>, the
/// postmaster: its own time, the time of the children it reaped, and its live children's), this process, and the
/// whole machine (/proc/stat: busy and total over all cores). A group that cannot be read is null.
/// </summary>
internal sealed class CpuSampler(IReadOnlyList<int> serverPids, int? postmasterPid)
{
    private const double MsPerTick = 1000.0 / 100; // USER_HZ, 100 on Linux (getconf CLK_TCK)

    public readonly record struct Sample(long Timestamp, double? ServerMs, double? PostgresMs, double OwnMs, double BusyMs, double TotalMs, string LoadAverage);

    public Sample? Take()
    {
        try
        {
            var cpu = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal))
                .Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(long.Parse).ToArray();
            var total = cpu.Sum() * MsPerTick; // user nice system idle iowait irq softirq steal (guest time is inside user)
            var busy = total - ((cpu[3] + cpu[4]) * MsPerTick);
            double? server = serverPids.Count == 0 ? null : Sum(serverPids.Select(pid => Ticks(pid, children: false)));
            double? postgres = postmasterPid is not { } pm ? null
                : Sum([Ticks(pm, children: true), .. Children(pm).Select(child => Ticks(child, children: false))]);
            var own = Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
            var load = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
            return new Sample(Stopwatch.GetTimestamp(), server, postgres, own, busy, total, load);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    private static double? Sum(IEnumerable<double?> values)
    {
        double sum = 0;
        foreach (var value in values)
        {
            if (value is not { } v)
            {
                return null;
            }

            sum += v;
        }

        return sum;
    }

    /// <summary>utime + stime (+ cutime + cstime: reaped children) of one process; null when it is gone.</summary>
    private static double? Ticks(int pid, bool children)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // from field 3 (state) on: utime is [11]
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            if (children)
            {
                ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
            }

            return ticks * MsPerTick;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static int[] Children(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/task/{pid}/children")
                .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}

/// <summary>Cores' worth of CPU each group used between two samples (other = the machine's busy time not in a group).</summary>
internal sealed record CpuWindow(double Seconds, string LoadAverage, double? Server, double? Postgres, double Generator, double Other, double Idle, int Cores)
{
    public static CpuWindow Between(CpuSampler.Sample first, CpuSampler.Sample last)
    {
        var seconds = (double)(last.Timestamp - first.Timestamp) / Stopwatch.Frequency;
        var ms = seconds * 1000;
        var server = last.ServerMs - first.ServerMs;
        var postgres = last.PostgresMs - first.PostgresMs;
        var generator = last.OwnMs - first.OwnMs;
        var busy = last.BusyMs - first.BusyMs;
        var other = Math.Max(0, busy - (server ?? 0) - (postgres ?? 0) - generator);
        return new CpuWindow(seconds, first.LoadAverage, server / ms, postgres / ms, generator / ms, other / ms,
            (last.TotalMs - first.TotalMs - busy) / ms, Environment.ProcessorCount);
    }

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Seconds:F1} s, load average {LoadAverage}: server {Server:F2}, PostgreSQL {Postgres:F2}, generator {Generator:F2}, other {Other:F2}, idle {Idle:F2} of {Cores} cores");
}

/// <summary>A console page the scenario requests: its operation name (in the stats), its label (in the table), its path.</summary>
internal sealed record ConsolePage(string Operation, string Label, string Path);

/// <summary>
/// Iteration i requests, in turn, the licences list (first page), the hot licence's page, the list with a search, the
/// licence's page: half the requests are the licence's page, a quarter each list.
/// </summary>
internal sealed class ConsoleWorkload(ConsoleClient console, ConsolePage[] pages) : IWorkload
{
    private static readonly int[] Order = [0, 1, 2, 1];
    private readonly ConcurrentDictionary<string, (long Bytes, long Count)> _sizes = new();

    public IReadOnlyList<string> Operations { get; } = pages.Select(p => p.Operation).ToArray();

    public string OperationFor(long sequence) => pages[Order[sequence % Order.Length]].Operation;

    public void ResetSizes() => _sizes.Clear();

    public IReadOnlyDictionary<string, double> MeanSizes() =>
        _sizes.ToDictionary(p => p.Key, p => p.Value.Count == 0 ? 0 : (double)p.Value.Bytes / p.Value.Count);

    public async Task RunOnceAsync(long sequence, long intendedTimestamp, IReadOnlyDictionary<string, OperationStats>? stats, CancellationToken ct)
    {
        var page = pages[Order[sequence % Order.Length]];
        PageAnswer answer;
        try
        {
            answer = await console.GetAsync(page.Path, ct);
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or IOException)
        {
            stats?[page.Operation].Failed(error, intendedTimestamp, Stopwatch.GetTimestamp());
            return;
        }

        if (stats is null)
        {
            return;
        }

        var op = stats[page.Operation];
        if (answer.Status is < 200 or >= 300)
        {
            op.Answered(answer.Status, intendedTimestamp, answer.DoneTimestamp, answer.Sample);
        }
        else if (answer.Status != 200)
        {
            op.Rejected($"{answer.Status} (not 200)", intendedTimestamp, answer.DoneTimestamp, answer.Sample);
        }
        else if (!answer.IsHtml)
        {
            op.Rejected("200 without </html>", intendedTimestamp, answer.DoneTimestamp, answer.Sample);
        }
        else
        {
            op.Answered(200, intendedTimestamp, answer.DoneTimestamp, null);
            _sizes.AddOrUpdate(page.Operation, (answer.Body.Length, 1), (_, s) => (s.Bytes + answer.Body.Length, s.Count + 1));
        }
    }
}

/// <summary>
/// A person's browser, as far as the benchmark needs one: one cookie jar (the antiforgery cookie, then the console
/// session), no redirects followed (a redirect to /signin is an error, not a page), one connection pool per server.
/// </summary>
internal sealed class ConsoleClient : IDisposable
{
    public const string SessionCookie = "coditect_session";
    private const string AntiforgeryField = "__csrf";
    private static readonly byte[] HtmlEnd = "</html>"u8.ToArray();
    private readonly CookieContainer _cookies = new();
    private readonly HttpClient[] _clients;
    private long _next;

    public ConsoleClient(IReadOnlyList<Uri> servers, int maxConnectionsPerServer, TimeSpan timeout)
    {
        // Cookies belong to the host (127.0.0.1), not the port: one jar serves every server process, as one
        // browser would against nodes behind one address (the nodes share their Data Protection keys).
        _clients = servers.Select(server => new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnectionsPerServer,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            UseCookies = true,
            CookieContainer = _cookies,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            BaseAddress = server,
            Timeout = timeout,
            DefaultRequestHeaders = { { "Accept", "text/html" } },
        }).ToArray();
    }

    /// <summary>GET /signin (antiforgery cookie and the form's <c>__csrf</c>), then POST the form; success is a 302 with the session cookie.</summary>
    public async Task SignInAsync(string email, string password, CancellationToken ct)
    {
        var client = _clients[0];
        using var form = await client.GetAsync("/signin", ct);
        var html = await form.Content.ReadAsStringAsync(ct);
        if (form.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET /signin answered {(int)form.StatusCode}: {Trim(html)}");
        }

        var input = Regex.Match(html, $"<input[^>]*name=\"{AntiforgeryField}\"[^>]*>");
        var token = input.Success ? Regex.Match(input.Value, "value=\"([^\"]*)\"") : Match.Empty;
        if (!token.Success)
        {
            throw new InvalidOperationException($"the sign-in form has no {AntiforgeryField} field: {Trim(html)}");
        }

        using var body = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email,
            ["password"] = password,
            [AntiforgeryField] = WebUtility.HtmlDecode(token.Groups[1].Value),
        });
        using var signedIn = await client.PostAsync("/signin", body, ct);
        var answer = await signedIn.Content.ReadAsStringAsync(ct);
        if (signedIn.StatusCode != HttpStatusCode.Found)
        {
            throw new InvalidOperationException($"POST /signin answered {(int)signedIn.StatusCode}, expected 302: {Trim(answer)}");
        }

        if (_cookies.GetCookies(client.BaseAddress!)[SessionCookie] is null)
        {
            throw new InvalidOperationException($"POST /signin answered 302 without a {SessionCookie} cookie");
        }
    }

    public async Task<PageAnswer> GetAsync(string path, CancellationToken ct)
    {
        var client = _clients[(int)((ulong)Interlocked.Increment(ref _next) % (ulong)_clients.Length)];
        using var response = await client.GetAsync(path, HttpCompletionOption.ResponseContentRead, ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        var done = Stopwatch.GetTimestamp();
        var location = response.Headers.Location is { } to ? $" -> {to}" : "";
        return new PageAnswer((int)response.StatusCode, bytes, bytes.AsSpan().IndexOf(HtmlEnd) >= 0, done, location);
    }

    private static string Trim(string text) => text.Length <= 300 ? text : text[..300] + "...";

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }
}

/// <summary>A page's status, body, whether it is a whole HTML document, when it completed, and where a redirect pointed.</summary>
internal readonly record struct PageAnswer(int Status, byte[] Body, bool IsHtml, long DoneTimestamp, string Redirect)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public string Sample => Redirect + (Body.Length == 0 ? "" : " " + (Body.Length <= 300 ? Text : Encoding.UTF8.GetString(Body, 0, 300) + "..."));
}

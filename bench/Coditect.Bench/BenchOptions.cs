using System.Globalization;

namespace Coditect.Bench;

/// <summary>Command-line flags (see README.md in this folder). Every value has a default fit for bench/run.sh.</summary>
internal sealed class BenchOptions
{
    public static readonly string[] AllScenarios = ["heartbeat-hot", "churn-hot", "heartbeat-cold", "churn-cold"];

    /// <summary>The web console's pages (ConsoleScenario.cs): not in <c>all</c>, run on its own.</summary>
    public const string ConsoleScenarioName = "console";

    /// <summary>Dev Context (DevContextScenario.cs, issue 12): commit sync, statistics, the board. Not in <c>all</c>.</summary>
    public const string DevContextScenarioName = "devcontext";

    /// <summary>Message import and search (MessagesScenario.cs, issue 13). Not in <c>all</c>.</summary>
    public const string MessagesScenarioName = "messages";

    public List<Uri> Servers { get; } = [];
    public List<string> Scenarios { get; } = [];
    public List<double> Rates { get; } = [];
    public bool Search { get; private set; }
    public double StartRate { get; private set; } = 50;
    public double StepFactor { get; private set; } = 2;
    public double MaxRate { get; private set; } = 20_000;
    public int MaxSteps { get; private set; } = 10;
    public int Refine { get; private set; } = 1;

    /// <summary>How many times the search runs a failing step again before it stops (one stall should not end it).</summary>
    public int Retries { get; private set; } = 1;
    public double MaxP99Ms { get; private set; } = 100;

    /// <summary>The console scenario's bound: each page passes with zero errors and p95 at most this (issue 11: 50 ms).</summary>
    public double MaxP95Ms { get; private set; } = 50;

    /// <summary>The console scenario's <c>?search=</c> on the licences list; the default matches 111 of the 10,000 cold licences.</summary>
    public string ConsoleSearch { get; private set; } = "cold 99";

    /// <summary>The console scenario's cost phase: GETs of each page one at a time after the rate steps (0: none).</summary>
    public int CostRequests { get; private set; } = 50;
    public string? CostMarkdownPath { get; private set; }
    public string? CpuMarkdownPath { get; private set; }

    /// <summary>The PostgreSQL postmaster's pid: the console scenario reports PostgreSQL's CPU time (its processes) too.</summary>
    public int? PostgresPid { get; private set; }
    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(10);
    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(3);
    public int HotSeats { get; private set; } = 10_000;
    public int HotSessions { get; private set; } = 5_000;
    public int ColdLicenses { get; private set; } = 10_000;
    public int ColdSeats { get; private set; } = 10;
    public int ColdSessions { get; private set; } = 10_000;
    public int SetupConcurrency { get; private set; } = 32;
    public int MaxInFlight { get; private set; } = 1_000;
    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(10);

    /// <summary>--timeline FILE: one line a second per step (see <see cref="Timeline"/>), to find a stall's second.</summary>
    public string? TimelinePath { get; private set; }

    /// <summary>
    /// --after-setup COMMAND: a shell command run once a scenario's data exists and before its first step (bench/run.sh
    /// runs ANALYZE there, so the steps measure a database with statistics, as one that has been up a while has).
    /// </summary>
    public string? AfterSetup { get; private set; }
    public string Backend { get; private set; } = "unknown";
    public int? Processes { get; private set; }
    public List<int> Pids { get; } = [];
    public Dictionary<string, double> Pgbench { get; } = [];

    /// <summary>redis-benchmark's EVALSHA rate of the ledger's heartbeat script: the limit of the Redis heartbeat rows.</summary>
    public double? RedisEvalsha { get; private set; }
    public string? JsonPath { get; private set; }
    public string? MarkdownPath { get; private set; }
    public string? StepsMarkdownPath { get; private set; }

    public int ProcessCount => Processes ?? Servers.Count;

    public bool IsConsole => Scenarios.Contains(ConsoleScenarioName);

    public bool IsDevContext => Scenarios.Contains(DevContextScenarioName);

    /// <summary>The devcontext scenario's data: tasks (markdown import), distinct commits (commit sync), the share of each batch re-sent.</summary>
    public int DevTasks { get; private set; } = 10_000;
    public int DevCommits { get; private set; } = 100_000;
    public int DuplicatePercent { get; private set; } = 30;
    public int SyncConcurrency { get; private set; } = 1;

    /// <summary>Where the devcontext scenario writes the distinct commits as CSV for the script's COPY baseline.</summary>
    public string? CopyCsvPath { get; private set; }

    public bool IsMessages => Scenarios.Contains(MessagesScenarioName);

    /// <summary>The messages scenario's data: messages in all, messages per work session, import requests in flight at once.</summary>
    public int Messages { get; private set; } = 1_000_000;
    public int SessionMessages { get; private set; } = 2_000;
    public int ImportConcurrency { get; private set; } = 2;

    /// <summary>Where the messages scenario writes contents.csv and messages.csv for the script's COPY baseline.</summary>
    public string? CopyDir { get; private set; }

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            if (flag == "--search")
            {
                o.Search = true;
                continue;
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{flag} needs a value");
            }

            var value = args[++i];
            switch (flag)
            {
                case "--url": o.Servers.AddRange(List(value).Select(u => new Uri(u, UriKind.Absolute))); break;
                case "--scenario": o.Scenarios.AddRange(List(value).SelectMany(s => s == "all" ? AllScenarios : [s])); break;
                case "--rate": o.Rates.AddRange(List(value).Select(Number)); break;
                case "--start-rate": o.StartRate = Number(value); break;
                case "--step-factor": o.StepFactor = Number(value); break;
                case "--max-rate": o.MaxRate = Number(value); break;
                case "--max-steps": o.MaxSteps = Whole(value); break;
                case "--refine": o.Refine = Whole(value); break;
                case "--retries": o.Retries = Whole(value); break;
                case "--max-p99-ms": o.MaxP99Ms = Number(value); break;
                case "--max-p95-ms": o.MaxP95Ms = Number(value); break;
                case "--search-term": o.ConsoleSearch = value; break;
                case "--cost-requests": o.CostRequests = Whole(value); break;
                case "--cost-markdown": o.CostMarkdownPath = value; break;
                case "--cpu-markdown": o.CpuMarkdownPath = value; break;
                case "--pg-pid": o.PostgresPid = Whole(value); break;
                case "--duration": o.Duration = TimeSpan.FromSeconds(Number(value)); break;
                case "--warmup": o.Warmup = TimeSpan.FromSeconds(Number(value)); break;
                case "--hot-seats": o.HotSeats = Whole(value); break;
                case "--hot-sessions": o.HotSessions = Whole(value); break;
                case "--cold-licenses": o.ColdLicenses = Whole(value); break;
                case "--cold-seats": o.ColdSeats = Whole(value); break;
                case "--cold-sessions": o.ColdSessions = Whole(value); break;
                case "--setup-concurrency": o.SetupConcurrency = Whole(value); break;
                case "--max-in-flight": o.MaxInFlight = Whole(value); break;
                case "--timeout": o.Timeout = TimeSpan.FromSeconds(Number(value)); break;
                case "--timeline": o.TimelinePath = value; break;
                case "--after-setup": o.AfterSetup = value; break;
                case "--backend": o.Backend = value; break;
                case "--processes": o.Processes = Whole(value); break;
                case "--pids": o.Pids.AddRange(List(value).Select(Whole)); break;
                case "--pgbench":
                    var (name, rate) = Pair(value);
                    o.Pgbench[name] = rate;
                    break;
                case "--redis-evalsha": o.RedisEvalsha = Number(value); break;
                case "--json": o.JsonPath = value; break;
                case "--markdown": o.MarkdownPath = value; break;
                case "--steps-markdown": o.StepsMarkdownPath = value; break;
                case "--tasks": o.DevTasks = Whole(value); break;
                case "--commits": o.DevCommits = Whole(value); break;
                case "--duplicate-percent": o.DuplicatePercent = Whole(value); break;
                case "--sync-concurrency": o.SyncConcurrency = Whole(value); break;
                case "--copy-csv": o.CopyCsvPath = value; break;
                case "--messages": o.Messages = Whole(value); break;
                case "--session-messages": o.SessionMessages = Whole(value); break;
                case "--import-concurrency": o.ImportConcurrency = Whole(value); break;
                case "--copy-dir": o.CopyDir = value; break;
                default: throw new ArgumentException($"unknown flag {flag}");
            }
        }

        if (o.Servers.Count == 0)
        {
            throw new ArgumentException("--url is required (several, comma-separated, for several server processes)");
        }

        if (o.Scenarios.Count == 0)
        {
            o.Scenarios.AddRange(AllScenarios);
        }

        if (o.Scenarios.FirstOrDefault(s => !AllScenarios.Contains(s) && s != ConsoleScenarioName && s != DevContextScenarioName && s != MessagesScenarioName) is { } unknown)
        {
            throw new ArgumentException($"unknown scenario {unknown}; use {string.Join(", ", AllScenarios)}, all, {ConsoleScenarioName}, {DevContextScenarioName} or {MessagesScenarioName}");
        }

        if ((o.IsConsole || o.IsDevContext || o.IsMessages) && (o.Scenarios.Count > 1 || o.Search))
        {
            throw new ArgumentException($"{o.Scenarios[0]} runs on its own, at fixed rates (--rate), and writes its own table");
        }

        if (o.Servers.Any(u => !u.IsLoopback))
        {
            throw new ArgumentException("the benchmark only sends traffic to loopback addresses (127.0.0.1)");
        }

        if (!o.Search && o.Rates.Count == 0)
        {
            o.Rates.Add(o.StartRate);
        }

        if (o.Messages < 1 || o.SessionMessages < 1 || o.ImportConcurrency < 1)
        {
            throw new ArgumentException("--messages, --session-messages and --import-concurrency must be at least 1");
        }

        if (o.StepFactor <= 1 || o.MaxSteps < 1 || o.Rates.Any(r => r <= 0) || o.StartRate <= 0)
        {
            throw new ArgumentException("rates must be positive, --step-factor above 1, --max-steps at least 1");
        }

        return o;
    }

    private static string[] List(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static double Number(string value) => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static int Whole(string value) => int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static (string, double) Pair(string value)
    {
        var parts = value.Split('=', 2);
        return parts.Length == 2 ? (parts[0], Number(parts[1])) : throw new ArgumentException($"--pgbench takes scenario=rate, not {value}");
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coditect.Contracts.DevContext;

namespace Coditect.Bench;

/// <summary>
/// The <c>devcontext</c> scenario (issue 12). Data through the API: a project whose tasks come from one markdown import
/// (<c>--tasks</c>, 10,000: lists of 2,000, every third item checked, a tenth of the open ones moved to
/// <c>in_progress</c> and a twentieth to <c>blocked</c> by bulk status) and a linked repository whose commits
/// (<c>--commits</c> distinct, 100,000) go in through commit sync in batches of 1,000, each batch
/// <c>--duplicate-percent</c> (30) commits already sent. The sync is measured (commits received and inserted per
/// second, wall clock from the first request to the last answer) and the distinct rows are written as CSV for the
/// script's COPY baseline (<c>--copy-csv</c>, into another repository of the same organization). Then, at a fixed
/// rate each: the project's statistics, the board's API call (the first page of one status column, the four in turn)
/// and the console's board page, signed in through the form. A read passes with zero errors and p95 at most
/// <c>--max-p95-ms</c> (50).
/// </summary>
internal static class DevContextScenario
{
    private const int Batch = 1000;
    private const int ListSize = 2000;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private static readonly string[] Statuses = ["todo", "in_progress", "blocked", "done"];

    public static string Header(BenchOptions options) =>
        $"| backend | measurement | offered rate (/s) | ok | p50 ms | p95 ms | p99 ms | max ms | errors | p95 ≤ {options.MaxP95Ms.ToString("0.#", Invariant)} ms, zero errors |\n" +
        "| --- | --- | --: | --: | --: | --: | --: | --: | --- | --- |";

    public static async Task<int> RunAsync(BenchOptions options, CoditectApi api, OpenLoop loop, ProcessMemory memory, CancellationToken ct)
    {
        var project = await api.OrgSetupAsync<ProjectResponse>(HttpMethod.Post, "/projects", new CreateProjectRequest("Bench board", Key: "BEN"), HttpStatusCode.Created, ct);
        var imported = await ImportAsync(api, project, options.DevTasks, ct);
        Console.Error.WriteLine($"[bench] devcontext: imported {imported.Tasks:N0} tasks in {imported.TaskLists} lists ({imported.Done:N0} done) into {project.Key}");
        var moved = await MoveAsync(api, project, ct);
        Console.Error.WriteLine($"[bench] devcontext: bulk status: {moved}");

        var repository = await api.OrgSetupAsync<RepositoryResponse>(HttpMethod.Post, "/repositories",
            new CreateRepositoryRequest("bench-app", "github", "https://github.com/bench/app.git", "main", project.Id), HttpStatusCode.Created, ct);
        var copyTarget = await api.OrgSetupAsync<RepositoryResponse>(HttpMethod.Post, "/repositories",
            new CreateRepositoryRequest("bench-copy", "github", "https://github.com/bench/copy.git", "main"), HttpStatusCode.Created, ct);
        var commits = Commits(options.DevCommits, options.DevTasks, project.Key);
        var batches = Batches(commits, options.DuplicatePercent);
        var sync = await SyncAsync(api, repository.Id, batches, options.SyncConcurrency, ct);
        Console.Error.WriteLine($"[bench] devcontext: sync: {sync.Describe()}");
        if (options.CopyCsvPath is { } csv)
        {
            await WriteCsvAsync(csv, commits, api.OrgId, copyTarget.Id, ct);
        }

        var stats = await api.OrgSetupAsync<ProjectStatsResponse>(HttpMethod.Get, $"/projects/{project.Id}/stats", null, HttpStatusCode.OK, ct);
        var data = $"{stats.Tasks.Total:N0} tasks ({stats.Tasks.Todo:N0} todo, {stats.Tasks.InProgress:N0} in progress, {stats.Tasks.Blocked:N0} blocked, " +
                   $"{stats.Tasks.Done:N0} done), {stats.Commits:N0} commits, {stats.Contributors} contributors, " +
                   $"{stats.CommitsPerWeek.Sum(w => w.Commits):N0} commits in the last 12 weeks";
        Console.Error.WriteLine($"[bench] devcontext: the project's statistics: {data}");
        if (stats.Commits != options.DevCommits || stats.Tasks.Total != options.DevTasks)
        {
            throw new InvalidOperationException($"the statistics count {stats.Commits} commits and {stats.Tasks.Total} tasks, expected {options.DevCommits} and {options.DevTasks}");
        }

        using var console = new ConsoleClient(api.Servers, options.MaxInFlight, options.Timeout);
        await console.SignInAsync(api.Email, CoditectApi.Password, ct);
        var reads = new (string Label, IWorkload Workload)[]
        {
            ("project statistics (API)", new ApiRead(api, "stats", _ => $"/projects/{project.Id}/stats")),
            ("board's API call: first page of a status column (4 in turn)", new ApiRead(api, "board-api", i => $"/tasks?project_id={project.Id}&status={Statuses[i % 4]}")),
            ("board page (console, 4 columns)", new PageRead(console, "board-page", $"/orgs/{Uri.EscapeDataString(api.OrgSlug)}/projects/{project.Id}/board")),
        };
        var rows = new List<string>();
        var rate = options.Rates[0];
        foreach (var (label, workload) in reads)
        {
            Console.Error.WriteLine($"[bench] devcontext: {label} at {rate:F0}/s, {options.Warmup.TotalSeconds:F0} s warm-up, {options.Duration.TotalSeconds:F0} s measured");
            var step = await loop.RunAsync(workload, rate, options.Warmup, options.Duration, memory, ct);
            var op = step.Operations[workload.Operations[0]];
            var passed = step.Errors == 0 && op.Latency.Percentile(95) <= options.MaxP95Ms * 1000;
            rows.Add("| " + string.Join(" | ", options.Backend, label, rate.ToString("0.#", Invariant), op.Successes.ToString(Invariant),
                Report.Ms(op.Latency.Percentile(50)), Report.Ms(op.Latency.Percentile(95)), Report.Ms(op.Latency.Percentile(99)),
                Report.Ms(op.Latency.MaxMicroseconds), step.Errors == 0 ? "0" : $"{step.Errors} ({Errors(op)})",
                passed ? "pass" : "**FAIL**") + " |");
            Console.Error.WriteLine($"[bench] {options.Backend} devcontext {workload.Operations[0]} @ {rate:F0}/s: {Report.Describe(step, options)}");
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }

        Console.WriteLine(Header(options));
        rows.ForEach(Console.WriteLine);
        Console.WriteLine(sync.Describe());
        if (options.MarkdownPath is { } markdown)
        {
            await File.AppendAllLinesAsync(markdown, rows, ct);
        }

        if (options.JsonPath is { } json)
        {
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["batches"] = sync.Batches, ["received"] = sync.Received, ["inserted"] = sync.Inserted, ["already_known"] = sync.AlreadyKnown,
                ["linked_tasks"] = sync.LinkedTasks, ["seconds"] = sync.Seconds, ["copy_rows"] = commits.Count,
                ["received_per_second"] = sync.Received / sync.Seconds, ["inserted_per_second"] = sync.Inserted / sync.Seconds,
                ["batch_p50_ms"] = sync.Latency.Percentile(50) / 1000.0, ["batch_p95_ms"] = sync.Latency.Percentile(95) / 1000.0,
                ["concurrency"] = options.SyncConcurrency, ["duplicate_percent"] = options.DuplicatePercent, ["data"] = data,
            }), ct);
        }

        return 0;
    }

    /// <summary>The errors by kind (status, transport, drops) and the first sample as one line of text for a table cell.</summary>
    internal static string Errors(OperationStats op)
    {
        var kinds = op.Statuses.Select(s => $"{s.Value}×{s.Key}").Concat(op.Transport.Select(t => $"{t.Value}×{t.Key}"))
            .Concat(op.Invalid.Select(i => $"{i.Value}×{i.Key}")).Append(op.Dropped > 0 ? $"{op.Dropped}×dropped" : "").Where(k => k.Length > 0);
        var sample = System.Text.RegularExpressions.Regex.Replace(op.ErrorSamples.FirstOrDefault() ?? "", "<[^>]*>|[|\\s]+", " ").Trim();
        return string.Join(", ", kinds) + (sample.Length == 0 ? "" : "; first: " + (sample.Length <= 120 ? sample : sample[..120] + "..."));
    }

    /// <summary>One markdown document: a heading per list of <see cref="ListSize"/> items, every third item checked.</summary>
    private static async Task<ImportResponse> ImportAsync(CoditectApi api, ProjectResponse project, int tasks, CancellationToken ct)
    {
        var markdown = new StringBuilder();
        for (var i = 0; i < tasks; i++)
        {
            if (i % ListSize == 0)
            {
                markdown.Append(Invariant, $"\n## Milestone {(i / ListSize) + 1}\n\n");
            }

            markdown.Append(Invariant, $"- [{(i % 3 == 2 ? 'x' : ' ')}] Task {i + 1}: implement part {i + 1} of the bench plan\n");
        }

        return await api.OrgSetupAsync<ImportResponse>(HttpMethod.Post, $"/projects/{project.Id}/import", new ImportMarkdownRequest(markdown.ToString()),
            HttpStatusCode.OK, ct);
    }

    /// <summary>Some open tasks to <c>in_progress</c> and <c>blocked</c> (bulk status, 1,000 at a time), so every column has cards.</summary>
    private static async Task<string> MoveAsync(CoditectApi api, ProjectResponse project, CancellationToken ct)
    {
        var open = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await api.OrgSetupAsync<JsonElement>(HttpMethod.Get,
                $"/tasks?project_id={project.Id}&status=todo&page_size=100" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)), null, HttpStatusCode.OK, ct);
            open.AddRange(page.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("id").GetGuid()));
            cursor = page.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (cursor is not null);

        var inProgress = open.Where((_, i) => i % 10 == 1).ToList();
        var blocked = open.Where((_, i) => i % 20 == 3).ToList();
        foreach (var (status, ids) in new[] { ("in_progress", inProgress), ("blocked", blocked) })
        {
            foreach (var chunk in ids.Chunk(1000))
            {
                await api.OrgSetupAsync<JsonElement>(HttpMethod.Post, "/tasks/bulk-status", new BulkTaskStatusRequest(chunk, status), HttpStatusCode.OK, ct);
            }
        }

        return $"{inProgress.Count:N0} in progress, {blocked.Count:N0} blocked of {open.Count:N0} open";
    }

    /// <summary>
    /// <paramref name="count"/> distinct commits over the last 52 weeks, newest first, by 40 authors; one in ten names a task
    /// (<c>BEN-n</c>). Seeded: every run sends the same shapes.
    /// </summary>
    private static List<CommitInput> Commits(int count, int tasks, string key)
    {
        var random = new Random(12);
        var now = DateTime.UtcNow;
        var span = TimeSpan.FromDays(7 * 52).Ticks / Math.Max(1, count);
        var list = new List<CommitInput>(count);
        var bytes = new byte[20];
        string? parent = null;
        for (var i = 0; i < count; i++)
        {
            random.NextBytes(bytes);
            var sha = Convert.ToHexStringLower(bytes);
            var author = $"dev{i % 40}@bench.example";
            var at = now.AddTicks(-span * i).AddSeconds(-random.Next(60));
            var message = i % 10 == 0
                ? $"{key}-{random.Next(1, tasks + 1)} fix the thing in module {i % 97}\n\nA longer body that explains why the change was made."
                : $"Change {i}: refactor module {i % 97}\n\nA longer body that explains why the change was made.";
            list.Add(new CommitInput(sha, $"Developer {i % 40}", author, at, $"Developer {i % 40}", author, at, message, ["main"],
                parent is null ? [] : [parent], 1 + (i % 7), 10 + (i % 50), i % 20));
            parent = sha;
        }

        return list;
    }

    /// <summary>
    /// Batches of <see cref="Batch"/>: (100 - dup)% commits not sent before, oldest first like <c>coditect repo sync</c>, and
    /// dup% picked from those already sent (the first batch repeats from itself). Serialized ahead: the generator's JSON
    /// work stays out of the measured window.
    /// </summary>
    private static List<byte[]> Batches(List<CommitInput> commits, int duplicatePercent)
    {
        var random = new Random(34);
        var fresh = Batch * (100 - duplicatePercent) / 100;
        var ordered = Enumerable.Reverse(commits).ToList();
        var batches = new List<byte[]>();
        for (var start = 0; start < ordered.Count; start += fresh)
        {
            var batch = ordered.Skip(start).Take(fresh).ToList();
            var pool = start == 0 ? batch.Count : start;
            var repeats = Enumerable.Range(0, Batch - batch.Count).Select(_ => ordered[random.Next(pool)]).ToList();
            batches.Add(JsonSerializer.SerializeToUtf8Bytes(new CommitBatchRequest([.. batch, .. repeats]), CoditectApi.Json));
        }

        return batches;
    }

    private sealed record SyncResult(int Batches, long Received, long Inserted, long AlreadyKnown, long LinkedTasks, double Seconds, LatencyHistogram Latency, int Concurrency)
    {
        public string Describe() => string.Create(Invariant,
            $"{Batches} batches of up to {Batch:N0} with {Concurrency} sender(s): {Received:N0} received, {Inserted:N0} inserted, {AlreadyKnown:N0} already known, " +
            $"{LinkedTasks:N0} task links in {Seconds:F1} s = {Received / Seconds:N0} received/s, {Inserted / Seconds:N0} inserted/s; " +
            $"per batch p50 {Report.Ms(Latency.Percentile(50))} ms, p95 {Report.Ms(Latency.Percentile(95))} ms, max {Report.Ms(Latency.MaxMicroseconds)} ms");
    }

    private static async Task<SyncResult> SyncAsync(CoditectApi api, Guid repositoryId, List<byte[]> batches, int concurrency, CancellationToken ct)
    {
        long received = 0, inserted = 0, known = 0, links = 0;
        var next = -1;
        var latency = new LatencyHistogram();
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Count)
            {
                var sent = Stopwatch.GetTimestamp();
                var answer = await api.OrgCallAsync(HttpMethod.Post, $"/repositories/{repositoryId}/commits", batches[i], ct);
                latency.Record(OperationStats.Microseconds(answer.DoneTimestamp - sent));
                if (answer.Status != 200)
                {
                    throw new InvalidOperationException($"commit sync answered {answer.Status}: {answer.Text[..Math.Min(500, answer.Text.Length)]}");
                }

                var counts = JsonSerializer.Deserialize<CommitBatchResponse>(answer.Body, CoditectApi.Json)!;
                Interlocked.Add(ref received, counts.Received);
                Interlocked.Add(ref inserted, counts.Inserted);
                Interlocked.Add(ref known, counts.AlreadyKnown);
                Interlocked.Add(ref links, counts.LinkedTasks);
            }
        }));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return new SyncResult(batches.Count, received, inserted, known, links, seconds, latency, concurrency);
    }

    /// <summary>The distinct commits as the server stores them (same columns, new ids, the other repository), CSV for COPY.</summary>
    private static async Task WriteCsvAsync(string path, List<CommitInput> commits, Guid tenantId, Guid repositoryId, CancellationToken ct)
    {
        static string Q(string value) => "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        static string T(DateTime? time) => time!.Value.ToString("yyyy-MM-dd HH:mm:ss.ffffff+00", Invariant);
        var now = T(DateTime.UtcNow);
        await using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        foreach (var c in commits)
        {
            await writer.WriteLineAsync(string.Join(',', Guid.CreateVersion7().ToString(), tenantId.ToString(), repositoryId.ToString(), c.Sha,
                Q(c.AuthorName!), Q(c.AuthorEmail!), T(c.AuthoredAt), Q(c.CommitterName!), Q(c.CommitterEmail!), T(c.CommittedAt), Q(c.Message!),
                Q(JsonSerializer.Serialize(c.Branches)), Q(JsonSerializer.Serialize(c.Parents)),
                c.FilesChanged!.Value.ToString(Invariant), c.Additions!.Value.ToString(Invariant), c.Deletions!.Value.ToString(Invariant), now).AsMemory(), ct);
        }
    }

    /// <summary>A GET of the organization's API; the rate counts it, a non-200 is an error.</summary>
    internal sealed class ApiRead(CoditectApi api, string operation, Func<long, string> path) : IWorkload
    {
        public IReadOnlyList<string> Operations { get; } = [operation];

        public async Task RunOnceAsync(long sequence, long intendedTimestamp, IReadOnlyDictionary<string, OperationStats>? stats, CancellationToken ct)
        {
            try
            {
                var answer = await api.OrgCallAsync(HttpMethod.Get, path(sequence), null, ct);
                stats?[operation].Answered(answer.Status, intendedTimestamp, answer.DoneTimestamp, answer.Status == 200 ? null : answer.Text);
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException or IOException)
            {
                stats?[operation].Failed(error, intendedTimestamp, Stopwatch.GetTimestamp());
            }
        }
    }

    /// <summary>A console page, signed in; anything but a whole HTML document with 200 is an error.</summary>
    private sealed class PageRead(ConsoleClient console, string operation, string path) : IWorkload
    {
        public IReadOnlyList<string> Operations { get; } = [operation];

        public async Task RunOnceAsync(long sequence, long intendedTimestamp, IReadOnlyDictionary<string, OperationStats>? stats, CancellationToken ct)
        {
            try
            {
                var answer = await console.GetAsync(path, ct);
                if (stats is null)
                {
                    return;
                }

                if (answer.Status == 200 && !answer.IsHtml)
                {
                    stats[operation].Rejected("not a whole HTML page", intendedTimestamp, answer.DoneTimestamp, answer.Sample);
                }
                else
                {
                    stats[operation].Answered(answer.Status, intendedTimestamp, answer.DoneTimestamp, answer.Status == 200 ? null : answer.Sample);
                }
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException or IOException)
            {
                stats?[operation].Failed(error, intendedTimestamp, Stopwatch.GetTimestamp());
            }
        }
    }
}

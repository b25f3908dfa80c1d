using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Coditect.Contracts.DevContext;

namespace Coditect.Bench;

/// <summary>
/// The <c>messages</c> scenario (issue 13, "Speed"). <c>--messages</c> (1,000,000) seeded, realistic messages
/// (<see cref="MessageCorpus"/>) in work sessions of <c>--session-messages</c> (2,000), spread over four projects and
/// the last 90 days, go in through the API's batch append (<c>POST /work-sessions/{id}/messages</c>, 1,000 a request,
/// the path the transcript import takes too: <c>MessageLog.AppendPreparedAsync</c>), <c>--import-concurrency</c>
/// requests at a time. The import is measured (messages per second, wall clock from the first request to the last
/// answer; the bodies are serialized before). With <c>--copy-dir</c>, the same rows are written as CSV for the
/// script's COPY baseline: the contents (hash, canonical JSON, the <c>tsvector</c> the server computes) and the
/// messages, into the same tables for a second organization's work sessions. Then the search: a two-word query with
/// one filter (<c>project_id</c>), 16 word pairs in turn, at a fixed rate; it passes with zero errors and p99 at most
/// <c>--max-p99-ms</c>.
/// </summary>
internal static class MessagesScenario
{
    private const int Batch = 1000;
    private const int Projects = 4;
    private const int Queries = 16;
    private const long FirstContentId = 1_000_000_000_000;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private static readonly JsonSerializerOptions Wire = new(CoditectApi.Json) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static string Header(BenchOptions options) =>
        $"| backend | measurement | offered rate (/s) | ok | p50 ms | p95 ms | p99 ms | max ms | errors | p99 ≤ {options.MaxP99Ms.ToString("0.#", Invariant)} ms, zero errors |\n" +
        "| --- | --- | --: | --: | --: | --: | --: | --: | --- | --- |";

    public static async Task<int> RunAsync(BenchOptions options, CoditectApi api, OpenLoop loop, ProcessMemory memory, CancellationToken ct)
    {
        var projects = new List<Guid>();
        for (var p = 0; p < Projects; p++)
        {
            var project = await api.OrgSetupAsync<ProjectResponse>(HttpMethod.Post, "/projects",
                new CreateProjectRequest($"Bench messages {p + 1}", Key: $"MSG{p + 1}"), HttpStatusCode.Created, ct);
            projects.Add(project.Id);
        }

        var sessionCount = (options.Messages + options.SessionMessages - 1) / options.SessionMessages;
        var now = DateTime.UtcNow;
        var span = TimeSpan.FromDays(90).Ticks / Math.Max(1, sessionCount);
        DateTime Start(int s) => now.AddDays(-91).AddTicks(span * s);
        var sessions = await CreateSessionsAsync(api, sessionCount, s => new CreateWorkSessionRequest("claude-code", projects[s % Projects], Branch: "main",
            Model: "claude-sonnet-4", Title: $"Transcript {s:D5}", StartedAt: Start(s), ExternalId: $"bench-{s}"), ct);

        // The COPY baseline's rows go to a second organization: contents are unique per organization and hash.
        List<(Guid Session, Guid Conversation)>? copyTargets = null;
        Guid copyTenant = default;
        if (options.CopyDir is not null)
        {
            using var other = new CoditectApi(api.Servers, options.MaxInFlight, options.Timeout);
            await other.RegisterAsync(ct);
            copyTenant = other.OrgId;
            copyTargets = await CreateSessionsAsync(other, sessionCount, s => new CreateWorkSessionRequest("claude-code", Title: $"Copy {s:D5}",
                StartedAt: Start(s), ExternalId: $"copy-{s}"), ct);
        }

        var generated = Stopwatch.StartNew();
        var corpus = new MessageCorpus(FirstContentId);
        var queries = Enumerable.Range(0, Queries).Select(i => (A: 25 + (8 * i), B: 80 + (12 * i))).ToArray();
        var matches = new long[Queries];
        var filtered = new long[Queries];
        var wordBits = new Dictionary<int, ulong>();
        for (var q = 0; q < Queries; q++)
        {
            wordBits[queries[q].A] = wordBits.GetValueOrDefault(queries[q].A) | (1UL << (2 * q));
            wordBits[queries[q].B] = wordBits.GetValueOrDefault(queries[q].B) | (1UL << ((2 * q) + 1));
        }

        var random = new Random(78);
        var batches = new List<(int Session, byte[] Body)>();
        var firstHash = "";
        await using var contentsCsv = options.CopyDir is { } dir ? new StreamWriter(Path.Combine(dir, "contents.csv"), false, new UTF8Encoding(false)) : null;
        await using var messagesCsv = options.CopyDir is { } dir2 ? new StreamWriter(Path.Combine(dir2, "messages.csv"), false, new UTF8Encoding(false)) : null;
        // The search vectors (message_search, migration 0024), one row a new content, like the server writes them (with the
        // organization's lexeme, migration 0025).
        await using var searchCsv = options.CopyDir is { } dir3 ? new StreamWriter(Path.Combine(dir3, "search.csv"), false, new UTF8Encoding(false)) : null;
        var stamp = T(now);
        var made = 0;
        for (var s = 0; s < sessionCount; s++)
        {
            var count = Math.Min(options.SessionMessages, options.Messages - made);
            var pending = new List<MessageInput>(Batch);
            Guid? previousId = null;
            for (var position = 0; position < count; position++)
            {
                var (role, content, firstUse) = corpus.Next(random, position, options.DuplicatePercent);
                firstHash = firstHash.Length == 0 ? content.Hash : firstHash;
                var at = Start(s).AddSeconds(15 * position);
                var assistant = role == "assistant";
                TokenUsage? usage = assistant ? new TokenUsage(random.Next(200, 4000), random.Next(20, 900), random.Next(0, 60000), random.Next(0, 3000)) : null;
                pending.Add(new MessageInput(role, content.Text, content.Blocks, at, assistant ? "claude-sonnet-4" : null, usage,
                    $"m{position}", null, position > 0 ? $"m{position - 1}" : null));
                var mask = 0UL;
                foreach (var w in content.BodyWords)
                {
                    mask |= wordBits.GetValueOrDefault(w);
                }

                for (var q = 0; q < Queries && mask != 0; q++)
                {
                    if (((mask >> (2 * q)) & 3) == 3)
                    {
                        matches[q]++;
                        filtered[q] += s % Projects == q % Projects ? 1 : 0;
                    }
                }

                if (copyTargets is not null)
                {
                    if (firstUse)
                    {
                        await contentsCsv!.WriteLineAsync(string.Join(',', content.Id.ToString(Invariant), copyTenant.ToString(), content.Hash,
                            Q(content.Canonical), content.Bytes.ToString(Invariant), stamp).AsMemory(), ct);
                        await searchCsv!.WriteLineAsync(string.Join(',', content.Id.ToString(Invariant), Q($"{content.TsVector} '@{copyTenant:D}'")).AsMemory(), ct);
                    }

                    var id = Guid.CreateVersion7();
                    var (copySession, copyConversation) = copyTargets[s];
                    await messagesCsv!.WriteLineAsync(string.Join(',', id.ToString(), copyTenant.ToString(), copySession.ToString(), copyConversation.ToString(),
                        position.ToString(Invariant), role, T(at), assistant ? "claude-sonnet-4" : "", L(usage?.InputTokens), L(usage?.OutputTokens),
                        L(usage?.CacheReadTokens), L(usage?.CacheWriteTokens), $"m{position}", previousId?.ToString() ?? "",
                        content.Id.ToString(Invariant)).AsMemory(), ct);
                    previousId = id;
                }

                if (pending.Count == Batch || position == count - 1)
                {
                    batches.Add((s, JsonSerializer.SerializeToUtf8Bytes(new MessageBatchRequest(pending), Wire)));
                    pending = new List<MessageInput>(Batch);
                }
            }

            made += count;
        }

        var unique = corpus.UniqueUsed;
        Console.Error.WriteLine($"[bench] messages: generated {made:N0} messages ({unique:N0} distinct contents) in {sessionCount:N0} work sessions, " +
                                $"{batches.Count:N0} batches, {batches.Sum(b => (long)b.Body.Length) / 1e6:F0} MB of JSON, in {generated.Elapsed.TotalSeconds:F1} s");

        // Round-robin over the work sessions (first batches of all, then second batches...), so parallel requests meet different conversations.
        var order = batches.GroupBy(b => b.Session).SelectMany(g => g.Select((b, k) => (Batch: b, K: k))).OrderBy(x => x.K).ThenBy(x => x.Batch.Session)
            .Select(x => (Path: $"/work-sessions/{sessions[x.Batch.Session].Session}/messages", x.Batch.Body)).ToList();
        batches.Clear();
        var import = await ImportAsync(api, order, options.ImportConcurrency, ct);
        Console.Error.WriteLine($"[bench] messages: import: {import.Describe()}");
        order.Clear();
        // The import's bodies (hundreds of MB, on the large-object heap) are garbage now: collect them here, not in a pause
        // of this process during the measured search, which the open model would charge to the server.
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

        var stats = await api.OrgSetupAsync<WorkSessionStatsResponse>(HttpMethod.Get, "/work-sessions/stats", null, HttpStatusCode.OK, ct);
        var hashCheck = await api.OrgCallAsync(HttpMethod.Get, $"/message-contents/{firstHash}?page_size=1", null, ct);
        var data = $"{stats.Messages:N0} messages in {stats.WorkSessions:N0} work sessions over {Projects} projects, {stats.UniqueContents:N0} unique contents, " +
                   $"{stats.Bytes / 1e6:F0} MB stored, {stats.BytesSaved / 1e6:F0} MB saved by de-duplication";
        Console.Error.WriteLine($"[bench] messages: the organization's statistics: {data}; the bench's hash of the first content is the server's: {hashCheck.Status == 200}");
        if (stats.Messages != made)
        {
            throw new InvalidOperationException($"the statistics count {stats.Messages} messages, expected {made}");
        }

        if (stats.UniqueContents != unique)
        {
            Console.Error.WriteLine($"[bench] messages: WARNING: the server stores {stats.UniqueContents:N0} unique contents, the bench made {unique:N0}");
        }

        var searches = Enumerable.Range(0, Queries).Select(q => $"/messages/search?q={Uri.EscapeDataString(corpus.Word(queries[q].A) + " " + corpus.Word(queries[q].B))}" +
                                                                $"&project_id={projects[q % Projects]}").ToArray();
        var firstPages = new List<int>();
        foreach (var path in searches)
        {
            var page = await api.OrgSetupAsync<JsonElement>(HttpMethod.Get, path, null, HttpStatusCode.OK, ct);
            firstPages.Add(page.GetProperty("items").GetArrayLength());
        }

        var queryText = string.Join(", ", Enumerable.Range(0, Queries).Select(q =>
            $"`{corpus.Word(queries[q].A)} {corpus.Word(queries[q].B)}` ({filtered[q]:N0} of {matches[q]:N0})"));
        Console.Error.WriteLine($"[bench] messages: queries (messages matching with the filter, of all matching): {queryText}; first pages hold {string.Join(",", firstPages)} hits");

        var rows = new List<string>();
        var rate = options.Rates[0];
        var label = $"search: two words + project_id ({Queries} queries in turn)";
        var workload = new DevContextScenario.ApiRead(api, "search", i => searches[(int)(i % Queries)]);
        Console.Error.WriteLine($"[bench] messages: {label} at {rate:F0}/s, {options.Warmup.TotalSeconds:F0} s warm-up, {options.Duration.TotalSeconds:F0} s measured");
        var step = await loop.RunAsync(workload, rate, options.Warmup, options.Duration, memory, ct);
        var op = step.Operations["search"];
        var passed = step.Errors == 0 && op.Latency.Percentile(99) <= options.MaxP99Ms * 1000;
        rows.Add("| " + string.Join(" | ", options.Backend, label, rate.ToString("0.#", Invariant), op.Successes.ToString(Invariant),
            Report.Ms(op.Latency.Percentile(50)), Report.Ms(op.Latency.Percentile(95)), Report.Ms(op.Latency.Percentile(99)),
            Report.Ms(op.Latency.MaxMicroseconds), step.Errors == 0 ? "0" : $"{step.Errors} ({DevContextScenario.Errors(op)})",
            passed ? "pass" : "**FAIL**") + " |");
        Console.Error.WriteLine($"[bench] {options.Backend} messages search @ {rate:F0}/s: {Report.Describe(step, options)}");

        Console.WriteLine(Header(options));
        rows.ForEach(Console.WriteLine);
        Console.WriteLine(import.Describe());
        if (options.MarkdownPath is { } markdown)
        {
            await File.AppendAllLinesAsync(markdown, rows, ct);
        }

        if (options.JsonPath is { } json)
        {
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["messages"] = made, ["work_sessions"] = sessionCount, ["batches"] = import.Batches, ["received"] = import.Received,
                ["inserted"] = import.Inserted, ["already_known"] = import.AlreadyKnown, ["new_contents"] = import.NewContents, ["new_bytes"] = import.NewBytes,
                ["seconds"] = import.Seconds, ["received_per_second"] = import.Received / import.Seconds, ["inserted_per_second"] = import.Inserted / import.Seconds,
                ["batch_p50_ms"] = import.Latency.Percentile(50) / 1000.0, ["batch_p95_ms"] = import.Latency.Percentile(95) / 1000.0,
                ["concurrency"] = options.ImportConcurrency, ["duplicate_percent"] = options.DuplicatePercent, ["unique_contents"] = unique,
                ["copy_contents"] = unique, ["copy_messages"] = made, ["data"] = data, ["queries"] = queryText, ["hash_check"] = hashCheck.Status == 200,
                ["search_passed"] = passed, ["search_p99_ms"] = op.Latency.Percentile(99) / 1000.0,
            }), ct);
        }

        return 0;
    }

    private static string Q(string value) => "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string T(DateTime time) => time.ToString("yyyy-MM-dd HH:mm:ss.ffffff+00", Invariant);

    private static string L(long? value) => (value ?? 0).ToString(Invariant);

    /// <summary>Work sessions through the API (8 at a time), each with its main conversation's id.</summary>
    private static async Task<List<(Guid Session, Guid Conversation)>> CreateSessionsAsync(
        CoditectApi api, int count, Func<int, CreateWorkSessionRequest> request, CancellationToken ct)
    {
        var made = new (Guid, Guid)[count];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            int s;
            while ((s = Interlocked.Increment(ref next)) < count)
            {
                var session = await api.OrgSetupAsync<WorkSessionResponse>(HttpMethod.Post, "/work-sessions", request(s), HttpStatusCode.Created, ct);
                var conversations = await api.OrgSetupAsync<List<ConversationResponse>>(HttpMethod.Get, $"/work-sessions/{session.Id}/conversations", null, HttpStatusCode.OK, ct);
                made[s] = (session.Id, conversations.Single(c => c.ExternalId == "main").Id);
            }
        }));
        return [.. made];
    }

    private sealed record ImportResult(int Batches, long Received, long Inserted, long AlreadyKnown, long NewContents, long NewBytes, double Seconds,
        LatencyHistogram Latency, int Concurrency)
    {
        public string Describe() => string.Create(Invariant,
            $"{Batches} batches of up to {Batch:N0} with {Concurrency} sender(s): {Received:N0} received, {Inserted:N0} inserted, {AlreadyKnown:N0} already known, " +
            $"{NewContents:N0} new contents ({NewBytes / 1e6:F0} MB) in {Seconds:F1} s = {Received / Seconds:N0} received/s; " +
            $"per batch p50 {Report.Ms(Latency.Percentile(50))} ms, p95 {Report.Ms(Latency.Percentile(95))} ms, max {Report.Ms(Latency.MaxMicroseconds)} ms");
    }

    private static async Task<ImportResult> ImportAsync(CoditectApi api, List<(string Path, byte[] Body)> batches, int concurrency, CancellationToken ct)
    {
        long received = 0, inserted = 0, known = 0, contents = 0, bytes = 0;
        var next = -1;
        var latency = new LatencyHistogram();
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Count)
            {
                var sent = Stopwatch.GetTimestamp();
                var answer = await api.OrgCallAsync(HttpMethod.Post, batches[i].Path, batches[i].Body, ct);
                latency.Record(OperationStats.Microseconds(answer.DoneTimestamp - sent));
                if (answer.Status != 200)
                {
                    throw new InvalidOperationException($"append answered {answer.Status}: {answer.Text[..Math.Min(500, answer.Text.Length)]}");
                }

                var counts = JsonSerializer.Deserialize<MessageBatchResponse>(answer.Body, CoditectApi.Json)!;
                Interlocked.Add(ref received, counts.Received);
                Interlocked.Add(ref inserted, counts.Inserted);
                Interlocked.Add(ref known, counts.AlreadyKnown);
                Interlocked.Add(ref contents, counts.NewContents);
                Interlocked.Add(ref bytes, counts.NewBytes);
            }
        }));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return new ImportResult(batches.Count, received, inserted, known, contents, bytes, seconds, latency, concurrency);
    }
}

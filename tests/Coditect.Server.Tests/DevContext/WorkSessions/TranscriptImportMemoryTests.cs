using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Coditect.Contracts.DevContext;
using Coditect.Server.DevContext.Import;
using Coditect.Server.Tenancy;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.DevContext.WorkSessions;

/// <summary>
/// Tests that read the process's managed heap, which every test running beside them grows too: they run alone, after
/// the parallel ones (a 100 MB import measured beside other classes once "grew" by 92 MB in CI).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredAlone
{
    public const string Name = "measured alone";
}

public abstract class TranscriptImportMemoryTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    /// <summary>
    /// The importer itself, in an organization's tenant scope as a request runs it, reading a generated transcript
    /// (the test host's in-memory HTTP pipe is left out: it buffers, and is not what is measured): 100 MB, about 15 s a
    /// provider; <c>CODITECT_IMPORT_TEST_MB</c> changes the size.
    /// </summary>
    [Fact]
    public async Task A_large_transcript_streams_through_in_bounded_memory()
    {
        var owner = await _anonymous.RegisterAsync();
        var megabytes = int.TryParse(Environment.GetEnvironmentVariable("CODITECT_IMPORT_TEST_MB"), out var mb) ? mb : 100;
        var lines = megabytes * 200;
        var file = new GeneratedTranscript(Guid.NewGuid().ToString(), lines, distinct: 400, lineBytes: 5_000);
        file.Size.ShouldBeGreaterThan(megabytes * 1000L * 1000);

        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                // Live objects only (a full collection first): garbage a collection would free is not memory the import holds.
                GC.Collect();
                peak = Math.Max(peak, GC.GetTotalMemory(false));
                await Task.Delay(1000);
            }
        });

        TranscriptImportResponse result;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var tenant = scope.ServiceProvider.GetRequiredService<TenantScope>();
            await tenant.BeginAsync(CancellationToken.None);
            await tenant.EnterAsync(owner.OrgId, CancellationToken.None);
            var outcome = await scope.ServiceProvider.GetRequiredService<TranscriptImport>()
                .ImportAsync(file, new ImportOptions(ImportFormats.ClaudeCode, null, null, null), CancellationToken.None);
            await tenant.CommitAsync(CancellationToken.None);
            result = outcome.Value!;
        }

        await sampling.CancelAsync();
        await sampler;

        (result.Messages, result.NewContents, result.Errors.Count).ShouldBe(((long)lines, (long)Math.Min(400, lines), 0));
        // The whole 100 MB file held at once would be 200 MB of UTF-16; a line and a batch of 1,000 messages are ~30 MB.
        (peak - baseline).ShouldBeLessThan(64L * 1024 * 1024, $"live managed heap grew by {(peak - baseline) / 1024 / 1024} MB");
        (await owner.Client.GetJsonAsync<WorkSessionResponse>($"{owner.OrgPath}/work-sessions/{result.WorkSessionIds.Single()}")).MessageCount.ShouldBe(lines);
    }

    /// <summary>A transcript made as it is read: user lines of about a given size, with a given number of different texts.</summary>
    private sealed class GeneratedTranscript(string session, int lines, int distinct, int lineBytes) : Stream
    {
        private int _next;
        private byte[] _current = [];
        private int _at;

        public long Size => Enumerable.Range(0, lines).Sum(i => (long)Encoding.UTF8.GetByteCount(Line(i)));

        private readonly Dictionary<int, string> _texts = [];

        private string Line(int i)
        {
            var n = i % distinct;
            if (!_texts.TryGetValue(n, out var words))
            {
                var text = new StringBuilder();
                while (text.Length < lineBytes)
                {
                    text.Append("word").Append(n).Append(' ').Append("token").Append(text.Length % 97).Append(' ');
                }

                _texts[n] = words = text.ToString();
            }

            return $$"""{"parentUuid":null,"isSidechain":false,"sessionId":"{{session}}","type":"user","message":{"role":"user","content":"{{words}}"},"uuid":"g{{i}}","timestamp":"2026-11-30T10:00:00.000Z"}""" + "\n";
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_at == _current.Length)
            {
                if (_next == lines)
                {
                    return 0;
                }

                _current = Encoding.UTF8.GetBytes(Line(_next++));
                _at = 0;
            }

            var n = Math.Min(count, _current.Length - _at);
            Array.Copy(_current, _at, buffer, offset, n);
            _at += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override long Length => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

[Collection(MeasuredAlone.Name)]
public sealed class TranscriptImportMemoryTestsOnSqlite(SqliteApp app) : TranscriptImportMemoryTests<SqliteApp>(app);

[Collection(MeasuredAlone.Name)]
public sealed class TranscriptImportMemoryTestsOnPostgres(PostgresApp app) : TranscriptImportMemoryTests<PostgresApp>(app);

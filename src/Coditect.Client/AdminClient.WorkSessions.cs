using System.Net;
using System.Net.Http.Headers;
using Coditect.Contracts.DevContext;

namespace Coditect.Client;

/// <summary>Dev Context's AI work sessions (docs/devcontext.md#work-sessions): importing transcripts and exports.</summary>
public sealed partial class AdminClient
{
    /// <summary>
    /// Imports one file: a Claude Code transcript (<c>claude-code</c>), an export (<c>coditect</c>) or a chat array
    /// (<c>chat</c>). The file streams to the server, which reads it line by line, so its size is not bounded by memory
    /// on either side. Idempotent: importing the same file again (or a grown one) adds only what is new.
    /// </summary>
    /// <param name="org">The organization's slug or id.</param>
    /// <param name="open">Opens the file from its start; called again if the call is repeated after a token refresh.</param>
    /// <param name="format">One of <see cref="ImportFormats.All"/>.</param>
    /// <param name="projectId">Attach the imported work sessions to this project, or null.</param>
    /// <param name="externalId">For <c>chat</c>: the work session's external id, so that a re-import finds it (without one, each import is a new work session).</param>
    /// <param name="title">For <c>chat</c>: the work session's title.</param>
    /// <param name="progress">Told the bytes sent so far, as they are sent.</param>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>What was imported: work sessions, lines, messages new and already known, malformed lines.</returns>
    public Task<TranscriptImportResponse> ImportWorkSessionsAsync(string org, Func<Stream> open, string format, Guid? projectId = null,
        string? externalId = null, string? title = null, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        var query = string.Join("&", new[]
            {
                ("format", format), ("project_id", projectId?.ToString()), ("external_id", externalId), ("title", title),
            }
            .Where(p => p.Item2 is not null)
            .Select(p => $"{p.Item1}={WebUtility.UrlEncode(p.Item2)}"));
        var contentType = format == ImportFormats.Chat ? "application/json" : "application/x-ndjson";
        Func<HttpContent> content = () => new UploadContent(open(), contentType, progress);
        return SendAsync<TranscriptImportResponse>(HttpMethod.Post, Org(org, $"work-sessions/import?{query}"), content, true, ct);
    }

    /// <summary>A stream sent in 64 KB pieces, telling <see cref="IProgress{T}"/> the bytes sent so far.</summary>
    private sealed class UploadContent : HttpContent
    {
        private readonly Stream _stream;
        private readonly IProgress<long>? _progress;

        public UploadContent(Stream stream, string contentType, IProgress<long>? progress)
        {
            _stream = stream;
            _progress = progress;
            Headers.ContentType = new MediaTypeHeaderValue(contentType) { CharSet = "utf-8" };
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            CopyAsync(stream, CancellationToken.None);

#if NET
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
            CopyAsync(stream, cancellationToken);
#endif

        private async Task CopyAsync(Stream stream, CancellationToken ct)
        {
            var buffer = new byte[64 * 1024];
            long sent = 0;
            int read;
#if NET
            while ((read = await _stream.ReadAsync(buffer.AsMemory(), ct).ConfigureAwait(false)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
#else
            while ((read = await _stream.ReadAsync(buffer, 0, buffer.Length, ct).ConfigureAwait(false)) > 0)
            {
                await stream.WriteAsync(buffer, 0, read, ct).ConfigureAwait(false);
#endif
                sent += read;
                _progress?.Report(sent);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            if (_stream.CanSeek)
            {
                length = _stream.Length - _stream.Position;
                return true;
            }

            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _stream.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}

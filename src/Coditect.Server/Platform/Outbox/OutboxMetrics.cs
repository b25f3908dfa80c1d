using System.Diagnostics.Metrics;
using Coditect.Server.Data;
using Coditect.Server.Platform.Telemetry;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Platform.Outbox;

/// <summary>
/// How far the cluster dispatcher is behind (webhooks, e-mail and billing calls wait on it), cluster-wide:
/// <list type="bullet">
/// <item><c>coditect.outbox.lag</c> (seconds; <c>coditect_outbox_lag_seconds</c>): age of the oldest event the
/// dispatcher has not handled yet, 0 when none waits. A failing handler holds its organization's later events, so
/// this grows while one organization is stuck.</item>
/// <item><c>coditect.outbox.pending</c> (<c>coditect_outbox_pending</c>): events waiting for the dispatcher.</item>
/// </list>
/// Two queries over <c>outbox_sequences</c> (one row per organization) at most once per <c>Metrics:RefreshSeconds</c>
/// per node, only when scraped; every node reports the same totals (take <c>max</c> over instances).
/// </summary>
public sealed class OutboxMetrics
{
    private readonly SampledValue<Backlog> _backlog;
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _clock;

    public OutboxMetrics(IMeterFactory meters, IServiceScopeFactory scopes, TimeProvider clock, IOptions<MetricsOptions> options, ILogger<OutboxMetrics> logger)
    {
        _scopes = scopes;
        _clock = clock;
        _backlog = new SampledValue<Backlog>(ReadAsync, options.Value.Refresh, logger, "the outbox backlog");
        var meter = meters.Create(TelemetryExtensions.PlatformMeter);
        meter.CreateObservableGauge("coditect.outbox.lag",
            () => _backlog.Current is { } b ? [new Measurement<double>(b.LagSeconds)] : Array.Empty<Measurement<double>>(), "s",
            "Age of the oldest event the cluster dispatcher has not handled");
        meter.CreateObservableGauge("coditect.outbox.pending",
            () => _backlog.Current is { } b ? [new Measurement<long>(b.Pending)] : Array.Empty<Measurement<long>>(), "{event}",
            "Events waiting for the cluster dispatcher");
    }

    private sealed record Backlog(long Pending, double LagSeconds);

    private async Task<Backlog> ReadAsync(CancellationToken ct)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var now = _clock.GetUtcNow().UtcDateTime;
        return await db.RunAsSystemAsync(async () =>
        {
            var waiting = db.Set<OutboxSequence>().IgnoreQueryFilters().Where(s => s.DispatchedSeq < s.NextSeq);
            var pending = await waiting.SumAsync(s => s.NextSeq - s.DispatchedSeq, ct);
            // Each waiting organization's next event is the one at dispatched_seq + 1 (numbers are never skipped).
            var oldest = await waiting
                .Select(s => db.Set<OutboxEvent>().IgnoreQueryFilters()
                    .Where(e => e.TenantId == s.TenantId && e.Seq == s.DispatchedSeq + 1)
                    .Select(e => (DateTime?)e.CreatedAt).FirstOrDefault())
                .MinAsync(ct);
            var lag = oldest is { } at && at < now ? (now - at).TotalSeconds : 0;
            return new Backlog(pending, lag);
        }, ct);
    }
}

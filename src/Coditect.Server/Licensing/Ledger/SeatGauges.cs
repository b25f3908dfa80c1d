using System.Diagnostics.Metrics;
using Coditect.Server.Data;
using Coditect.Server.Platform.Telemetry;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Licensing.Ledger;

/// <summary>
/// Seat totals of the whole cluster, as gauges, with no per-licence or per-organization label:
/// <list type="bullet">
/// <item><c>coditect.seats.in_use</c> (<c>coditect_seats_in_use</c>): live sessions, i.e. seats held now (invariant 1 in
/// README.md: a session is live exactly when it holds a seat, so this is also the number of live sessions).</item>
/// <item><c>coditect.seats.capacity</c> (<c>coditect_seats_capacity</c>): seats of the licences usable now (active, not
/// expired).</item>
/// <item><c>coditect.sessions.lapsed</c> (<c>coditect_sessions_lapsed</c>): sessions still marked active whose lease
/// lapsed, waiting for the sweeper (they hold no seat; a growing number means the sweep is failing).</item>
/// </list>
/// Read by three counting queries at most once per <c>Metrics:RefreshSeconds</c> per node, and only when scraped
/// (<see cref="SampledValue{T}"/>); every node reports the same cluster totals, so dashboards take <c>max</c> over
/// instances, not <c>sum</c>. On the cross-tenant path (Tenancy/README.md lists it).
/// </summary>
public sealed class SeatGauges
{
    private readonly SampledValue<SeatCounts> _counts;
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _clock;

    public SeatGauges(IMeterFactory meters, IServiceScopeFactory scopes, TimeProvider clock, IOptions<MetricsOptions> options, ILogger<SeatGauges> logger)
    {
        _scopes = scopes;
        _clock = clock;
        _counts = new SampledValue<SeatCounts>(ReadAsync, options.Value.Refresh, logger, "seat counts");
        var meter = meters.Create(Protocol.LeaseMetrics.MeterName);
        meter.CreateObservableGauge("coditect.seats.in_use", () => Observe(c => c.InUse), "{seat}", "Seats held by live sessions, cluster-wide");
        meter.CreateObservableGauge("coditect.seats.capacity", () => Observe(c => c.Capacity), "{seat}", "Seats of usable licences, cluster-wide");
        meter.CreateObservableGauge("coditect.sessions.lapsed", () => Observe(c => c.Lapsed), "{session}",
            "Sessions whose lease lapsed and that the sweeper has not marked expired yet");
    }

    private sealed record SeatCounts(long InUse, long Capacity, long Lapsed);

    private IEnumerable<Measurement<long>> Observe(Func<SeatCounts, long> pick) =>
        _counts.Current is { } counts ? [new Measurement<long>(pick(counts))] : [];

    private async Task<SeatCounts> ReadAsync(CancellationToken ct)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        var now = _clock.GetUtcNow().UtcDateTime;
        return await db.RunAsSystemAsync(async () =>
        {
            var active = db.Set<LicenseSession>().IgnoreQueryFilters().Where(s => s.Status == SessionState.Active);
            var inUse = await active.LongCountAsync(s => s.ExpiresAt > now, ct);
            var lapsed = await active.LongCountAsync(s => s.ExpiresAt <= now, ct);
            var capacity = await db.Set<License>().IgnoreQueryFilters()
                .Where(l => l.State == LicenseState.Active && (l.ExpiresAt == null || l.ExpiresAt > now))
                .SumAsync(l => (long)l.SeatsTotal, ct);
            return new SeatCounts(inUse, capacity, lapsed);
        }, ct);
    }
}

using System.Diagnostics.Metrics;

namespace Coditect.Server.Licensing.Ledger;

/// <summary>
/// The Redis ledger's repairs on this node (Redis mode only), read from <see cref="RedisLedgerStats"/> and the
/// write-behind queue: counters in memory, nothing queried.
/// <list type="bullet">
/// <item><c>coditect.ledger.fallbacks</c> (<c>coditect_ledger_fallbacks_total</c>): Redis calls that failed, so
/// PostgreSQL answered alone (a heartbeat) or Redis was left for reconciliation to repair (an update).</item>
/// <item><c>coditect.ledger.rebuilds</c> (<c>coditect_ledger_rebuilds_total</c>): licence lease caches loaded into Redis
/// from PostgreSQL (first use, or after Redis lost its data).</item>
/// <item><c>coditect.ledger.repaired</c> (<c>coditect_ledger_repaired_total</c>): leases Redis had wrong and the
/// ledger corrected.</item>
/// <item><c>coditect.ledger.pending_heartbeats</c> (<c>coditect_ledger_pending_heartbeats</c>): heartbeats answered
/// from Redis, not yet written to PostgreSQL.</item>
/// </list>
/// </summary>
public sealed class LedgerMetrics
{
    public LedgerMetrics(IMeterFactory meters, RedisLedgerStats stats, HeartbeatWriteBehind writeBehind)
    {
        var meter = meters.Create(Protocol.LeaseMetrics.MeterName);
        meter.CreateObservableCounter("coditect.ledger.fallbacks", () => stats.Fallbacks, "{call}",
            "Redis calls that failed, answered or repaired by PostgreSQL");
        meter.CreateObservableCounter("coditect.ledger.rebuilds", () => stats.Rebuilds, "{cache}", "Licence lease caches loaded into Redis from PostgreSQL");
        meter.CreateObservableCounter("coditect.ledger.repaired", () => stats.Repaired, "{lease}", "Leases Redis had wrong, corrected");
        meter.CreateObservableGauge("coditect.ledger.pending_heartbeats", () => (long)writeBehind.Count, "{heartbeat}",
            "Heartbeats answered from Redis, not yet written to PostgreSQL");
    }
}

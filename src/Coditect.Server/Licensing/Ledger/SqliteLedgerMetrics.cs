using System.Diagnostics.Metrics;

namespace Coditect.Server.Licensing.Ledger;

/// <summary>
/// The SQLite ledger's writer on this node (SQLite mode only), read from <see cref="SqliteLedgerWriter.Totals"/>:
/// <list type="bullet">
/// <item><c>coditect.ledger.sqlite.commits</c> (<c>coditect_ledger_sqlite_commits_total</c>): the writer's transactions.</item>
/// <item><c>coditect.ledger.sqlite.calls</c> (<c>coditect_ledger_sqlite_calls_total</c>): the calls they carried; calls ÷
/// commits is the mean batch, 1 on an idle server and growing with the load.</item>
/// </list>
/// </summary>
public sealed class SqliteLedgerMetrics
{
    public SqliteLedgerMetrics(IMeterFactory meters, SqliteLedgerWriter writer)
    {
        var meter = meters.Create(Protocol.LeaseMetrics.MeterName);
        meter.CreateObservableCounter("coditect.ledger.sqlite.commits", () => writer.Totals.Batches, "{transaction}",
            "Transactions of the SQLite seat ledger's writer");
        meter.CreateObservableCounter("coditect.ledger.sqlite.calls", () => writer.Totals.Calls, "{call}",
            "Ledger calls committed by the SQLite seat ledger's writer");
    }
}

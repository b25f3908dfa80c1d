using Coditect.Server.Data;
using Coditect.Server.Licensing.Ledger;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Licensing;

/// <summary>
/// The SQLite ledger's one writer: calls that wait together share one transaction, a call that fails is undone alone,
/// and a call cancelled while it waited never runs. Each test writes rows of its own run to a probe table in the server's
/// SQLite file.
/// </summary>
public sealed class SqliteLedgerWriterTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    private readonly SqliteLedgerWriter _writer = app.Services.GetRequiredService<SqliteLedgerWriter>();

    [Fact]
    public async Task Calls_that_wait_together_commit_in_one_transaction_and_a_failing_call_is_undone_alone()
    {
        var table = await CreateTableAsync();
        var started = new TaskCompletionSource();
        var gate = new TaskCompletionSource();
        var first = _writer.RunAsync(async (db, ct) =>
        {
            started.SetResult();
            await gate.Task; // holds the writer: the calls below queue behind this one
            return await InsertAsync(db, table, "first");
        }, CancellationToken.None);
        await started.Task;
        var (batches, calls) = _writer.Totals;

        var failing = _writer.RunAsync<int>(async (db, ct) =>
        {
            await InsertAsync(db, table, "failing");
            throw new InvalidOperationException("this call fails after writing");
        }, CancellationToken.None);
        var second = _writer.RunAsync((db, ct) => InsertAsync(db, table, "second"), CancellationToken.None);
        var third = _writer.RunAsync((db, ct) => InsertAsync(db, table, "third"), CancellationToken.None);
        gate.SetResult();

        (await first).ShouldBe(1);
        (await Should.ThrowAsync<InvalidOperationException>(failing)).Message.ShouldBe("this call fails after writing");
        (await second).ShouldBe(1);
        (await third).ShouldBe(1);
        var (batchesAfter, callsAfter) = _writer.Totals;
        (batchesAfter - batches).ShouldBe(2, "the first call's transaction, then one for the three that waited");
        (callsAfter - calls).ShouldBe(4);
        (await RowsAsync(table)).ShouldBe(["first", "second", "third"], "the failing call's insert was rolled back to its savepoint");
    }

    [Fact]
    public async Task A_call_cancelled_while_it_waits_never_runs()
    {
        var table = await CreateTableAsync();
        var started = new TaskCompletionSource();
        var gate = new TaskCompletionSource();
        var holder = _writer.RunAsync(async (db, ct) =>
        {
            started.SetResult();
            await gate.Task;
            return 0;
        }, CancellationToken.None);
        await started.Task;

        using var cancel = new CancellationTokenSource();
        var ran = false;
        var cancelled = _writer.RunAsync(async (db, ct) =>
        {
            ran = true;
            return await InsertAsync(db, table, "cancelled");
        }, cancel.Token);
        await cancel.CancelAsync();
        gate.SetResult();

        await holder;
        await Should.ThrowAsync<OperationCanceledException>(cancelled);
        ran.ShouldBeFalse();
        (await RowsAsync(table)).ShouldBeEmpty();
    }

    /// <summary>A run id: the probe table's rows of one test.</summary>
    private async Task<string> CreateTableAsync()
    {
        await _writer.RunAsync((db, ct) => db.Database.ExecuteSqlRawAsync("create table if not exists ledger_writer_probe (run text, name text)", ct),
            CancellationToken.None);
        return Guid.NewGuid().ToString("N");
    }

    private static Task<int> InsertAsync(CoditectDbContext db, string run, string name) =>
        db.Database.ExecuteSqlAsync($"insert into ledger_writer_probe (run, name) values ({run}, {name})");

    private async Task<List<string>> RowsAsync(string run)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        return await db.Database.SqlQuery<string>($"select name as \"Value\" from ledger_writer_probe where run = {run} order by name").ToListAsync();
    }
}

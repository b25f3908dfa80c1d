using System.Data.Common;
using System.Threading.Channels;
using Coditect.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Coditect.Server.Licensing.Ledger;

/// <summary>
/// The one writer of the SQLite seat ledger in this process (group commit). Acquires, heartbeats, releases and sweeps
/// queue here and run one after another on one connection; all the work waiting when a transaction begins runs in that
/// transaction (up to <see cref="MaxBatch"/> calls), each call inside its own savepoint, and one commit makes the whole
/// batch durable. No call is answered before its batch committed.
/// <para>
/// Why: SQLite has one write lock per file. When each request began its own <c>BEGIN IMMEDIATE</c>, concurrent requests
/// queued on that lock through busy waits, and each paid its own commit. Here the process has one writer, so requests
/// wait in memory (no busy wait), and a commit's cost is shared by every call in its batch. Other processes on the same
/// file and the server's other writers still take the lock as before: the batch's transaction is an ordinary
/// <c>BEGIN IMMEDIATE</c>, so every guarantee of <see cref="SqliteSeatLedger"/> holds across processes.
/// </para>
/// <para>
/// A call that throws is rolled back to its savepoint and answered with its exception; the rest of its batch commits.
/// A call whose request was cancelled before its batch began is not run. A call is SQL on the batch's connection
/// (<see cref="RunSqlAsync{T}"/>), or EF Core work with a context of its own, and so its own tenant, sharing the batch's
/// connection and transaction (<see cref="RunAsync{T}"/>).
/// </para>
/// </summary>
public sealed class SqliteLedgerWriter(IServiceScopeFactory scopes, ILogger<SqliteLedgerWriter> logger) : BackgroundService
{
    /// <summary>The most calls one transaction carries: a bound on how long the write lock is held at once.</summary>
    public const int MaxBatch = 256;

    private readonly Channel<Call> _calls = Channel.CreateUnbounded<Call>(new UnboundedChannelOptions { SingleReader = true });
    private long _batches;
    private long _written;

    /// <summary>Transactions committed so far, and the calls they carried (their ratio is the mean batch).</summary>
    public (long Batches, long Calls) Totals => (Interlocked.Read(ref _batches), Interlocked.Read(ref _written));

    /// <summary>
    /// Runs <paramref name="work"/> in the writer's next transaction with a context of its own, and answers once that
    /// transaction committed. The work must not begin or commit a transaction itself.
    /// </summary>
    public Task<T> RunAsync<T>(Func<CoditectDbContext, CancellationToken, Task<T>> work, CancellationToken ct) =>
        Enqueue(new ContextCall<T>(work, ct), ct);

    /// <summary>
    /// Runs <paramref name="statements"/> in the writer's next transaction on its connection, without EF Core: for the
    /// lease protocol's calls (<see cref="SqliteLedgerSql"/>), where a context of their own would cost more than their
    /// statements.
    /// </summary>
    public Task<T> RunSqlAsync<T>(Func<DbConnection, DbTransaction, T> statements, CancellationToken ct) =>
        Enqueue(new SqlCall<T>(statements, ct), ct);

    private Task<T> Enqueue<T>(Call<T> call, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (!_calls.Writer.TryWrite(call))
        {
            throw new InvalidOperationException("The SQLite seat ledger's writer has stopped: the server is shutting down.");
        }

        return call.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Call>(MaxBatch);
        try
        {
            while (await _calls.Reader.WaitToReadAsync(stoppingToken))
            {
                await RunBatchesAsync(batch);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // Stopping: the web server has stopped taking requests; what was queued before that still gets its answer.
        _calls.Writer.TryComplete();
        await RunBatchesAsync(batch);
    }

    private async Task RunBatchesAsync(List<Call> batch)
    {
        while (true)
        {
            while (batch.Count < MaxBatch && _calls.Reader.TryRead(out var call))
            {
                if (call.Cancelled())
                {
                    continue;
                }

                batch.Add(call);
            }

            if (batch.Count == 0)
            {
                return;
            }

            await WriteAsync(batch);
            batch.Clear();
        }
    }

    private async Task WriteAsync(List<Call> batch)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
            // Not the calls' tokens: one cancelled request must not abort the others' transaction.
            await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
            var connection = db.Database.GetDbConnection();
            var raw = transaction.GetDbTransaction();
            foreach (var call in batch)
            {
                await call.RunAsync(scopes, connection, raw);
            }

            await transaction.CommitAsync(CancellationToken.None);
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _written, batch.Count);
            foreach (var call in batch)
            {
                call.Answer();
            }
        }
        catch (Exception e)
        {
            // The transaction did not commit (the database refused the BEGIN or the COMMIT): nothing in it happened.
            logger.LogWarning("A batch of {Count} seat ledger call(s) failed to commit: {Error}", batch.Count, e.GetBaseException().Message);
            foreach (var call in batch)
            {
                call.Fail(e);
            }
        }
    }

    private abstract class Call
    {
        public abstract bool Cancelled();

        /// <summary>Runs the work in a savepoint of <paramref name="transaction"/>; its outcome is kept until the commit.</summary>
        public abstract Task RunAsync(IServiceScopeFactory scopes, DbConnection connection, DbTransaction transaction);

        /// <summary>The batch committed: the work's result (or its own exception) goes to the caller.</summary>
        public abstract void Answer();

        public abstract void Fail(Exception e);
    }

    /// <summary>A call with a result: run in a savepoint, answered after the commit.</summary>
    private abstract class Call<T>(CancellationToken ct) : Call
    {
        private const string Savepoint = "ledger_call";
        private readonly TaskCompletionSource<T> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;
        private Exception? _error;

        public Task<T> Task => _answer.Task;

        public override bool Cancelled() => ct.IsCancellationRequested && _answer.TrySetCanceled(ct);

        public override async Task RunAsync(IServiceScopeFactory scopes, DbConnection connection, DbTransaction transaction)
        {
            await transaction.SaveAsync(Savepoint);
            try
            {
                _result = await RunWorkAsync(scopes, connection, transaction);
                await transaction.ReleaseAsync(Savepoint);
            }
            catch (Exception e)
            {
                _error = e;
                await transaction.RollbackAsync(Savepoint);
                await transaction.ReleaseAsync(Savepoint);
            }
        }

        protected abstract Task<T> RunWorkAsync(IServiceScopeFactory scopes, DbConnection connection, DbTransaction transaction);

        public override void Answer()
        {
            if (_error is null)
            {
                _answer.TrySetResult(_result!);
            }
            else
            {
                _answer.TrySetException(_error);
            }
        }

        public override void Fail(Exception e) => _answer.TrySetException(e);
    }

    private sealed class ContextCall<T>(Func<CoditectDbContext, CancellationToken, Task<T>> work, CancellationToken ct) : Call<T>(ct)
    {
        protected override async Task<T> RunWorkAsync(IServiceScopeFactory scopes, DbConnection connection, DbTransaction transaction)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
            db.Database.SetDbConnection(connection);
            db.Database.AutoSavepointsEnabled = false; // the call's savepoint is ours
            await db.Database.UseTransactionAsync(transaction);
            return await work(db, CancellationToken.None);
        }
    }

    private sealed class SqlCall<T>(Func<DbConnection, DbTransaction, T> statements, CancellationToken ct) : Call<T>(ct)
    {
        protected override Task<T> RunWorkAsync(IServiceScopeFactory scopes, DbConnection connection, DbTransaction transaction) =>
            System.Threading.Tasks.Task.FromResult(statements(connection, transaction));
    }
}

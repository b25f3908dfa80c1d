namespace Coditect.Server.Licensing;

/// <summary>
/// Lets one call at a time per licence (per stripe of licences) of this node go to PostgreSQL for the calls that take
/// the licence row lock: acquire and release. They run one at a time in PostgreSQL anyway; what the gate changes is how
/// many wait there. Without it a node sends a hot licence as many waiters as its connection pool holds, and the row
/// lock's hand-off slows down the more of them queue (measured: docs/performance.md). With it the lock has at most one
/// waiter per node, and the rest wait here, holding no connection.
/// <para>
/// Stripes, not one semaphore per licence: nothing to create or clean up per licence. Two licences that share a stripe
/// take turns on this node, which costs nothing measurable at 1,024 stripes (each call holds its stripe for a few
/// milliseconds). A wait longer than <c>maxWait</c> (15 s) answers 503 (a <see cref="TimeoutException"/>), as a full
/// connection pool does.
/// </para>
/// </summary>
public sealed class LicenseGate(TimeSpan? maxWait = null)
{
    private const int Stripes = 1024;
    private readonly TimeSpan _maxWait = maxWait ?? TimeSpan.FromSeconds(15);
    private readonly SemaphoreSlim[] _stripes = Enumerable.Range(0, Stripes).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    public async Task<T> RunAsync<T>(string keyHash, Func<Task<T>> call, CancellationToken ct)
    {
        var stripe = _stripes[(uint)StringComparer.Ordinal.GetHashCode(keyHash) % Stripes];
        if (!await stripe.WaitAsync(_maxWait, ct))
        {
            throw new TimeoutException("Timed out waiting for this licence's earlier acquires and releases on this node.");
        }

        try
        {
            return await call();
        }
        finally
        {
            stripe.Release();
        }
    }
}

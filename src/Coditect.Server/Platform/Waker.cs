namespace Coditect.Server.Platform;

/// <summary>An auto-reset wake-up for one waiting loop: a wake while nobody waits is kept for the next wait.</summary>
public sealed class Waker
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Wake() => Volatile.Read(ref _next).TrySetResult();

    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        var current = Volatile.Read(ref _next);
        await current.Task.WaitAsync(timeout, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (current.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), current);
        }

        ct.ThrowIfCancellationRequested();
    }
}

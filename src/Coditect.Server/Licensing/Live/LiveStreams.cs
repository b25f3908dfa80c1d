using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Licensing.Live;

/// <summary><c>Licensing:Live:*</c> settings.</summary>
public sealed class LiveOptions
{
    public const string Section = "Licensing:Live";

    /// <summary>
    /// Live streams (console pages open on a licence) one node serves at once; beyond it a stream is refused with 503.
    /// Each costs a request's memory and a timer, not a database connection.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxStreams { get; set; } = 1000;
}

/// <summary>The node's open live streams, counted against <see cref="LiveOptions.MaxStreams"/>: a flood of watchers is refused, not served.</summary>
public sealed class LiveStreams(IOptions<LiveOptions> options)
{
    private int _open;

    public int Open => Volatile.Read(ref _open);

    /// <summary>Takes a place for one stream; false when the node serves as many as it may. A true must be matched by <see cref="Close"/>.</summary>
    public bool TryOpen()
    {
        if (Interlocked.Increment(ref _open) <= options.Value.MaxStreams)
        {
            return true;
        }

        Interlocked.Decrement(ref _open);
        return false;
    }

    public void Close() => Interlocked.Decrement(ref _open);
}

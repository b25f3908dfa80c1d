using System.Collections.Concurrent;
using System.Threading.Channels;
using Coditect.Server.Platform;

namespace Coditect.Server.Licensing.Live;

/// <summary>
/// The lossy per-licence "changed" signal behind the console's live views (decisions: acquire, heartbeat, release and
/// lapse are never on the outbox). <see cref="Changed"/> sits on the lease protocol's hot path, so it is a dictionary
/// lookup, and only for a licence someone watches a timer: it never waits for I/O and never throws.
/// <list type="bullet">
/// <item>Only while someone watches: a node with watchers announces their licences to the others when a watch starts
/// and every <see cref="AnnounceEvery"/>; each node keeps what it heard for <see cref="WatchExpiry"/>, so a node that
/// stops (or stops announcing) stops costing the others within that time. An unwatched licence costs nothing more.</item>
/// <item>At most once per <see cref="Pace"/> per licence per node: a change inside the window is sent at its end, so
/// a burst costs one message a second and its last change is never lost.</item>
/// <item>Sent to this node's watchers directly and to the other nodes through <see cref="ClusterSignal"/>, only when
/// one of them watches. A lost message costs a watcher one refresh; the next change brings it up to date.</item>
/// </list>
/// Pacing runs on real elapsed time, not the injected clock (as <see cref="LogThrottle"/> does): it is about how often
/// this node speaks, and tests move the business clock by hours.
/// </summary>
public sealed class LicenseWatch(ClusterSignal cluster, ILogger<LicenseWatch> logger) : BackgroundService
{
    public const string ClusterChannel = "coditect_live";

    public static readonly TimeSpan Pace = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan AnnounceEvery = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan WatchExpiry = TimeSpan.FromSeconds(30);

    /// <summary>Licence ids per announcement: 33 characters each keeps a message well under NOTIFY's 8,000 bytes.</summary>
    private const int IdsPerAnnouncement = 200;

    // This node's watchers per licence, as copy-on-write arrays: changed under _localGate, read without a lock.
    private readonly Lock _localGate = new();
    private readonly ConcurrentDictionary<Guid, ChannelWriter<Guid>[]> _local = new();

    // Licences other nodes watch, until when (Environment.TickCount64).
    private readonly ConcurrentDictionary<Guid, long> _remote = new();

    private readonly ConcurrentDictionary<Guid, Pacer> _pacers = new();
    private readonly LogThrottle _sendFailures = new(TimeSpan.FromSeconds(10));
    private long _sent;
    private long _ignored;

    /// <summary>Signals sent (to this node's watchers, the other nodes', or both) since the node started.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Changes not sent because nobody watched their licence.</summary>
    public long Ignored => Interlocked.Read(ref _ignored);

    /// <summary>Whether a watcher on this node, or one another node announced lately, watches the licence.</summary>
    public bool IsWatched(Guid licenseId) =>
        _local.ContainsKey(licenseId) || (_remote.TryGetValue(licenseId, out var until) && until > Environment.TickCount64);

    /// <summary>
    /// A licence's sessions changed (acquire, heartbeat, release, kick, lapse). Call after the change committed; cheap
    /// enough for every heartbeat.
    /// </summary>
    public void Changed(Guid licenseId)
    {
        if (!IsWatched(licenseId))
        {
            Interlocked.Increment(ref _ignored);
            return;
        }

        var pacer = _pacers.GetOrAdd(licenseId, static _ => new Pacer());
        if (!pacer.TrySchedule(out var wait))
        {
            return; // a send is due already, and it carries this change
        }

        _ = SendAsync(licenseId, pacer, wait);
    }

    /// <summary>
    /// Tells this node's watchers of the licence at once, without the pace or the other nodes: for changes every node
    /// hears anyway (licence changes and kicks, through the outbox's every-node delivery).
    /// </summary>
    public void NotifyWatchers(Guid licenseId)
    {
        if (_local.TryGetValue(licenseId, out var writers))
        {
            foreach (var writer in writers)
            {
                writer.TryWrite(licenseId);
            }
        }
    }

    /// <summary>
    /// Watches a licence until <paramref name="ct"/> is cancelled, when the reader completes. The reader holds at most
    /// one notification: changes while one waits are folded into it.
    /// </summary>
    public ChannelReader<Guid> Watch(Guid licenseId, CancellationToken ct)
    {
        var channel = Channel.CreateBounded<Guid>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
        bool first;
        lock (_localGate)
        {
            first = !_local.TryGetValue(licenseId, out var writers);
            _local[licenseId] = [.. writers ?? [], channel.Writer];
        }

        ct.Register(() => Unwatch(licenseId, channel.Writer));
        if (first)
        {
            _ = AnnounceAsync([licenseId]); // the other nodes send for it from now on, not from the next announcement
        }

        return channel.Reader;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        cluster.Subscribe(ClusterChannel, Receive);
        await PublishAsync("q"); // a node that starts asks what the others watch
        using var timer = new PeriodicTimer(AnnounceEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await AnnounceAsync([.. _local.Keys]);
                Prune();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Unwatch(Guid licenseId, ChannelWriter<Guid> writer)
    {
        lock (_localGate)
        {
            if (_local.TryGetValue(licenseId, out var writers))
            {
                ChannelWriter<Guid>[] rest = [.. writers.Where(w => w != writer)];
                if (rest.Length == 0)
                {
                    _local.TryRemove(licenseId, out _);
                }
                else
                {
                    _local[licenseId] = rest;
                }
            }
        }

        writer.TryComplete();
    }

    private async Task SendAsync(Guid licenseId, Pacer pacer, TimeSpan wait)
    {
        try
        {
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
            else
            {
                await Task.Yield(); // off the request's thread before anything else
            }

            pacer.Sending();
            Interlocked.Increment(ref _sent);
            NotifyWatchers(licenseId);
            if (_remote.TryGetValue(licenseId, out var until) && until > Environment.TickCount64)
            {
                await PublishAsync("c:" + licenseId.ToString("N"));
            }
        }
        catch (Exception e)
        {
            Failed(e);
        }
    }

    /// <summary>Another node's message: "c:ID" a licence changed; "w:ID,ID,..." it watches these; "q" it asks what we watch.</summary>
    private void Receive(string message)
    {
        if (message.StartsWith("c:", StringComparison.Ordinal) && Guid.TryParseExact(message.AsSpan(2), "N", out var changed))
        {
            NotifyWatchers(changed);
        }
        else if (message.StartsWith("w:", StringComparison.Ordinal))
        {
            var until = Environment.TickCount64 + (long)WatchExpiry.TotalMilliseconds;
            foreach (var id in message[2..].Split(','))
            {
                if (Guid.TryParseExact(id, "N", out var watched))
                {
                    _remote[watched] = until;
                }
            }
        }
        else if (message == "q" && !_local.IsEmpty)
        {
            _ = AnnounceAsync([.. _local.Keys]);
        }
    }

    private async Task AnnounceAsync(IReadOnlyList<Guid> licenseIds)
    {
        foreach (var chunk in licenseIds.Chunk(IdsPerAnnouncement))
        {
            await PublishAsync("w:" + string.Join(',', chunk.Select(id => id.ToString("N"))));
        }
    }

    /// <summary>
    /// Sends one message to the other nodes. Never throws (its callers do not wait for it, or must not stop): the
    /// transport's failures are logged by <see cref="ClusterSignal"/>, anything else here.
    /// </summary>
    private async Task PublishAsync(string message)
    {
        try
        {
            await cluster.PublishAsync(ClusterChannel, message);
        }
        catch (Exception e)
        {
            Failed(e);
        }
    }

    private void Failed(Exception e)
    {
        if (_sendFailures.Count(out var count))
        {
            logger.LogWarning("Could not send a live-view signal ({Count} since the last such line): {Error}", count, e.Message);
        }
    }

    /// <summary>Forgets what other nodes stopped announcing, and the pacing of licences nobody watches any more.</summary>
    private void Prune()
    {
        var now = Environment.TickCount64;
        foreach (var (id, until) in _remote)
        {
            if (until <= now)
            {
                _remote.TryRemove(KeyValuePair.Create(id, until));
            }
        }

        foreach (var (id, pacer) in _pacers)
        {
            if (!IsWatched(id) && pacer.IsIdle)
            {
                _pacers.TryRemove(KeyValuePair.Create(id, pacer));
            }
        }
    }

    /// <summary>One licence's pace on this node: when it may be sent next, and whether a send is scheduled.</summary>
    private sealed class Pacer
    {
        private long _nextAllowed;
        private int _scheduled;

        public bool IsIdle => Volatile.Read(ref _scheduled) == 0;

        /// <summary>True when the caller must schedule a send, after <paramref name="wait"/>; false when one is due.</summary>
        public bool TrySchedule(out TimeSpan wait)
        {
            wait = TimeSpan.Zero;
            if (Interlocked.Exchange(ref _scheduled, 1) == 1)
            {
                return false;
            }

            var left = Interlocked.Read(ref _nextAllowed) - Environment.TickCount64;
            wait = left > 0 ? TimeSpan.FromMilliseconds(left) : TimeSpan.Zero;
            return true;
        }

        /// <summary>
        /// The scheduled send goes now. The window moves first: a change that sees the send unscheduled also sees the
        /// new window, and one that still sees it scheduled is carried by this send, which happens after.
        /// </summary>
        public void Sending()
        {
            Interlocked.Exchange(ref _nextAllowed, Environment.TickCount64 + (long)Pace.TotalMilliseconds);
            Volatile.Write(ref _scheduled, 0);
        }
    }
}

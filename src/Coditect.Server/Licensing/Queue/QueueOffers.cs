using System.Threading.Channels;
using Coditect.Server.Licensing.Live;
using Coditect.Server.Platform;

namespace Coditect.Server.Licensing.Queue;

/// <summary>
/// Offers freed seats to the queue. Every second, once in the cluster (<see cref="ClusterJob"/>): lapses tickets and
/// unclaimed offers, and offers every free seat of a licence with waiting tickets (a lease that lapsed, a seat added), so
/// a free seat is offered within about 2 s on an idle cluster, and within 5 s of this job's node dying (<see cref="Hold"/>). A release or a kick on this node asks for an offer at once (<see cref="QueueOfferer.Poke"/>).
/// </summary>
public sealed class QueueOfferJob(IServiceScopeFactory scopes, LicenseWatch watch, TimeProvider time, ILogger<QueueOfferJob> logger)
    : ClusterJob(scopes, time, logger)
{
    private readonly IServiceScopeFactory _scopes = scopes;

    protected override string Name => "queue-offers";

    protected override TimeSpan Period => TimeSpan.FromSeconds(1);

    /// <summary>Taken over within 5 s of its holder's death: an offer is safe to make twice (<see cref="SeatQueue"/>).</summary>
    protected override TimeSpan Hold => TimeSpan.FromSeconds(5);

    protected override async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        foreach (var licenseId in await services.GetRequiredService<SeatQueue>().OfferAsync(null, ct))
        {
            watch.Changed(licenseId);
        }
    }

    /// <summary>One run now, outside the schedule (tests).</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var changed = await scope.ServiceProvider.GetRequiredService<SeatQueue>().OfferAsync(null, ct);
        foreach (var licenseId in changed)
        {
            watch.Changed(licenseId);
        }

        return changed.Count;
    }
}

/// <summary>
/// This node's immediate offers: a release or kick pokes the licence (no I/O on the request's path), and the seat is
/// offered to the head of its queue by this node at once, without waiting for the cluster job's next run.
/// </summary>
public sealed class QueueOfferer(IServiceScopeFactory scopes, LicenseWatch watch, ILogger<QueueOfferer> logger) : BackgroundService
{
    private readonly Channel<Guid> _pokes = Channel.CreateBounded<Guid>(new BoundedChannelOptions(10_000)
    {
        FullMode = BoundedChannelFullMode.DropWrite, // the cluster job offers within a second anyway
        SingleReader = true,
    });

    public void Poke(Guid licenseId) => _pokes.Writer.TryWrite(licenseId);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var poked = new HashSet<Guid>();
        while (await _pokes.Reader.WaitToReadAsync(stoppingToken))
        {
            // Pokes of one licence that queued meanwhile (a burst of releases) are one offer run.
            while (_pokes.Reader.TryRead(out var id))
            {
                poked.Add(id);
            }

            foreach (var licenseId in poked)
            {
                await OfferAsync(licenseId, stoppingToken);
            }

            poked.Clear();
        }
    }

    private async Task OfferAsync(Guid licenseId, CancellationToken ct)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            if ((await scope.ServiceProvider.GetRequiredService<SeatQueue>().OfferAsync(licenseId, ct)).Count > 0)
            {
                watch.Changed(licenseId);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("Offering a freed seat of licence {License} failed, the queue job will: {Error}", licenseId, e.GetBaseException().Message);
        }
    }
}

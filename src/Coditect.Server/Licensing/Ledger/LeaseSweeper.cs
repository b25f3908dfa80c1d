using Coditect.Server.Licensing.Live;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Licensing.Ledger;

/// <summary>
/// Every <c>Licensing:SweepIntervalSeconds</c>, marks lapsed leases expired and counts them in usage. Seats do not
/// wait for it (a lapsed lease holds no seat the moment it lapses); it keeps the session list and the charts true.
/// Several nodes may sweep at once: each lapsed session is marked by exactly one of them, which tells the live view of
/// its licence.
/// </summary>
public sealed class LeaseSweeper(
    IServiceScopeFactory scopes, LicenseWatch watch, IOptions<LicensingOptions> options, TimeProvider clock, ILogger<LeaseSweeper> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SweepIntervalSeconds), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var swept = await SweepOnceAsync(stoppingToken);
                if (swept > 0)
                {
                    logger.LogInformation("Marked {Count} lapsed lease(s) expired", swept);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Lease sweep failed, will retry: {Error}", e.GetBaseException().Message);
            }
        }
    }

    public async Task<int> SweepOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var ledger = scope.ServiceProvider.GetRequiredService<ISeatLedger>();
        var swept = await ledger.SweepAsync(clock.GetUtcNow().UtcDateTime, ct);
        foreach (var licenseId in swept.Licenses)
        {
            watch.Changed(licenseId);
        }

        return swept.Count;
    }
}

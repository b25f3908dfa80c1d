using Coditect.Server.Data;
using Coditect.Server.Licensing;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Billing;

/// <summary>
/// Suspends the product licence of organizations past due for longer than <c>Billing:GraceDays</c>, every ten minutes
/// in the cluster, even when no further Stripe event arrives (a payment reinstates it through the webhook). Safe to
/// repeat: an organization whose licence is already suspended is not touched.
/// </summary>
public sealed class BillingGrace(IServiceScopeFactory scopes, IOptions<BillingOptions> options, TimeProvider time, ILogger<BillingGrace> logger)
    : ClusterJob(scopes, time, logger)
{
    private readonly IServiceScopeFactory _scopes = scopes;

    protected override string Name => "billing-grace";

    protected override TimeSpan Period => TimeSpan.FromMinutes(10);

    /// <summary>One sweep now, outside the schedule (tests).</summary>
    public async Task SweepOnceAsync(CancellationToken ct)
    {
        await using var scope = _scopes.CreateAsyncScope();
        await RunAsync(scope.ServiceProvider, ct);
    }

    protected override async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var db = services.GetRequiredService<CoditectDbContext>();
        var cutoff = Clock.GetUtcNow().UtcDateTime.AddDays(-options.Value.GraceDays);
        var due = await db.RunAsSystemAsync(() => db.Set<BillingAccount>().IgnoreQueryFilters().AsNoTracking()
            .Where(a => a.PastDueSince != null && a.PastDueSince <= cutoff && a.ProductLicenseId != null
                && db.Set<License>().IgnoreQueryFilters().Any(l => l.Id == a.ProductLicenseId && l.State == LicenseState.Active))
            .Select(a => a.TenantId).ToListAsync(ct), ct);
        foreach (var tenantId in due)
        {
            // One scope per organization: a unit of work acts for one tenant.
            await using var scope = _scopes.CreateAsyncScope();
            var tenantScope = scope.ServiceProvider.GetRequiredService<TenantScope>();
            await tenantScope.EnterAsync(tenantId, ct);
            await scope.ServiceProvider.GetRequiredService<Subscriptions>().RecheckProductLicenseAsync(ct);
            await tenantScope.CommitAsync(ct);
        }

        if (due.Count > 0)
        {
            logger.LogInformation("Suspended the product licence of {Count} organization(s) past due beyond the grace", due.Count);
        }
    }
}

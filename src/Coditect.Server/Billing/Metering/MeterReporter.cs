using Coditect.Server.Data;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using global::Stripe;
using global::Stripe.Billing;

namespace Coditect.Server.Billing.Metering;

/// <summary>
/// Sends the usage reports Stripe has not accepted yet as meter events (<c>POST /v1/billing/meter_events</c>), oldest
/// first, each outside any database transaction: <c>event_name</c> the meter, <c>payload[stripe_customer_id]</c> the
/// customer, <c>payload[value]</c> the whole value, <c>timestamp</c> the hour's start, <c>identifier</c> the report's id
/// and the idempotency key <c>meter-{id}</c>. An accepted report is marked in a short transaction of its own. When
/// Stripe cannot be reached (a network error, 429 or 5xx) the run stops and the rest wait for the next run; a report
/// Stripe refuses (4xx) keeps its error and is tried again next run, without holding up the others.
/// </summary>
public sealed class MeterReporter(
    CoditectDbContext db, IOptions<BillingOptions> options, IHttpClientFactory httpClients, TimeProvider clock, ILogger<MeterReporter> logger)
{
    /// <summary>Reports sent in one run at most.</summary>
    public const int Batch = 500;

    private static readonly LogThrottle Failures = new(TimeSpan.FromSeconds(10));

    /// <summary>Sends what is pending. Returns how many Stripe accepted.</summary>
    public async Task<int> ReportPendingAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var horizon = now - UsageMeter.StripeHorizon;
        var pending = await db.RunAsSystemAsync(() => db.Set<UsageReport>().IgnoreQueryFilters().AsNoTracking()
            .Where(r => r.ReportedAt == null && r.Hour > horizon)
            .OrderBy(r => r.Hour).ThenBy(r => r.Id).Take(Batch).ToListAsync(ct), ct);
        if (pending.Count == 0)
        {
            return 0;
        }

        var stripe = options.Value.Stripe;
        var service = new MeterEventService(new StripeClient(stripe.SecretKey, null,
            new SystemNetHttpClient(httpClients.CreateClient(Stripe.StripeCheckout.HttpClientName), 2, null, false), stripe.ApiBase));
        var accepted = 0;
        foreach (var report in pending)
        {
            string? error;
            var unreachable = false;
            try
            {
                var identifier = report.Id.ToString();
                await service.CreateAsync(new MeterEventCreateOptions
                {
                    EventName = report.Meter,
                    Identifier = identifier,
                    Timestamp = new DateTimeOffset(DateTime.SpecifyKind(report.Hour, DateTimeKind.Utc)).UtcDateTime,
                    Payload = new Dictionary<string, string>
                    {
                        ["stripe_customer_id"] = report.CustomerId,
                        ["value"] = report.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    },
                }, new RequestOptions { IdempotencyKey = $"meter-{identifier}" }, ct);
                await MarkAsync(report.Id, identifier, null, clock.GetUtcNow().UtcDateTime, ct);
                accepted++;
                continue;
            }
            catch (StripeException e) when (e.HttpStatusCode is not (System.Net.HttpStatusCode.TooManyRequests or >= System.Net.HttpStatusCode.InternalServerError) && e.HttpStatusCode != 0)
            {
                error = $"Stripe refused the meter event ({(int)e.HttpStatusCode}): {e.StripeError?.Message ?? e.Message}";
            }
            catch (Exception e) when (e is StripeException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                error = $"Stripe unreachable: {e.Message}";
                unreachable = true;
            }

            await MarkAsync(report.Id, null, error, null, ct);
            if (Failures.Count(out var count))
            {
                logger.LogWarning("Meter event for {Hour:u} not reported, will retry ({Count} failure(s) since the last such line): {Error}",
                    report.Hour, count, error);
            }

            if (unreachable)
            {
                break; // the rest wait for the next run
            }
        }

        return accepted;
    }

    private async Task MarkAsync(Guid id, string? identifier, string? error, DateTime? reportedAt, CancellationToken ct)
    {
        var message = error is { Length: > 500 } ? error[..500] : error;
        var now = clock.GetUtcNow().UtcDateTime;
        await db.RunAsSystemAsync(async () => await db.Set<UsageReport>().IgnoreQueryFilters().Where(r => r.Id == id && r.ReportedAt == null)
            .ExecuteUpdateAsync(r => r
                .SetProperty(x => x.ReportedAt, reportedAt)
                .SetProperty(x => x.StripeIdentifier, identifier)
                .SetProperty(x => x.LastError, message)
                .SetProperty(x => x.Attempts, x => x.Attempts + 1)
                .SetProperty(x => x.UpdatedAt, now), ct), ct);
    }
}

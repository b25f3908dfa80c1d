using System.Diagnostics;
using System.Text;
using Coditect.Server.Data;
using Coditect.Server.Notifications.Email;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Telemetry;
using Coditect.Server.Signing;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Notifications.Webhooks;

/// <summary>
/// Sends due deliveries, on every node. It claims due deliveries for the length of an attempt (a conditional UPDATE with
/// a claim token: two nodes never claim the same delivery while its lease runs), keeps up to <c>Webhooks:Concurrency</c>
/// in flight outside any transaction, each on its own, and records finished attempts in batches with the delivery's
/// next state: done on a 2xx, else the next retry of <c>Webhooks:RetrySchedule</c> (with up to 10 % jitter), or failed
/// when none is left.
/// A node that dies mid-attempt leaves a lease that lapses; another node sends again (at least once: receivers
/// de-duplicate by <c>webhook-id</c>). An endpoint that has failed every attempt for <c>Webhooks:DisableAfterDays</c>
/// is turned off.
/// </summary>
public sealed partial class WebhookSender(
    IServiceScopeFactory scopes,
    IHttpClientFactory httpClients,
    MasterKey masterKey,
    WebhookSignal signal,
    NotificationMetrics metrics,
    IOptions<WebhookOptions> options,
    TimeProvider clock,
    ILogger<WebhookSender> logger) : BackgroundService
{
    /// <summary>The endpoint's number of the event (1, 2, 3, ... in the order the events were raised); test events have none.</summary>
    public const string SequenceHeader = "webhook-sequence";

    private const int ResponseExcerptBytes = 1024;
    private readonly LogThrottle _failures = new(TimeSpan.FromSeconds(10));
    private readonly System.Threading.Channels.Channel<Attempt> _finished = System.Threading.Channels.Channel.CreateUnbounded<Attempt>();
    private readonly Waker _room = new();
    private int _inFlight;

    private sealed record Claimed(WebhookDelivery Delivery, WebhookSubscription? Endpoint);

    private sealed record Attempt(Claimed Claimed, int? StatusCode, int LatencyMs, string? Response, string? Error)
    {
        public bool Succeeded => StatusCode is >= 200 and < 300;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Send)
        {
            return;
        }

        var recorder = RecordLoopAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await StartDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                if (_failures.Count(out var count))
                {
                    logger.LogWarning("Webhook sending failed ({Count} failures since the last such line): {Error}", count, e.GetBaseException().Message);
                }
            }

            // WhenAny does not throw: a cancelled wait ends the loop through the token.
            await Task.WhenAny(signal.SenderWaitAsync(options.Value.Poll, stoppingToken), _room.WaitAsync(options.Value.Poll, stoppingToken));
        }

        await recorder.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>
    /// Claims as many due deliveries as there is room for (<c>Webhooks:Concurrency</c> in flight) and starts each on
    /// its own: a slow or silent receiver holds one slot for up to the timeout, never the deliveries of others.
    /// </summary>
    private async Task StartDueAsync(CancellationToken ct)
    {
        int room;
        while ((room = options.Value.Concurrency - Volatile.Read(ref _inFlight)) > 0)
        {
            var claimed = await ClaimAsync(room, ct);
            foreach (var delivery in claimed)
            {
                Interlocked.Increment(ref _inFlight);
                _ = SendOneAsync(delivery, ct);
            }

            if (claimed.Count < room)
            {
                return;
            }
        }
    }

    private async Task SendOneAsync(Claimed claimed, CancellationToken ct)
    {
        try
        {
            _finished.Writer.TryWrite(await SendAsync(claimed, ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // shutting down: the claim's lease lapses and another node (or the next start) sends it again
        }
        finally
        {
            // Wake the claiming loop when the pipe has drained to half: claims stay batched under load.
            if (Interlocked.Decrement(ref _inFlight) <= options.Value.Concurrency / 2)
            {
                _room.Wake();
            }
        }
    }

    /// <summary>Records finished attempts as they come, in batches of whatever has finished meanwhile.</summary>
    private async Task RecordLoopAsync(CancellationToken ct)
    {
        var reader = _finished.Reader;
        while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            var batch = new List<Attempt>();
            while (batch.Count < 500 && reader.TryRead(out var attempt))
            {
                batch.Add(attempt);
            }

            try
            {
                await RecordAsync(batch, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // Unrecorded attempts keep their claims until the leases lapse; then they are sent again (at least once).
                if (_failures.Count(out var count))
                {
                    logger.LogWarning("Recording webhook attempts failed ({Count} failures since the last such line): {Error}", count, e.GetBaseException().Message);
                }
            }
        }
    }

    private async Task<List<Claimed>> ClaimAsync(int limit, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        // Its own transaction (RunAsSystemAsync begins and commits it): the system settings are sent once.
        return await db.RunAsSystemAsync(async () =>
        {
            var now = clock.GetUtcNow().UtcDateTime;
            var mine = db.Database.IsNpgsql() ? await ClaimOnPostgresAsync(db, now, limit, ct) : await ClaimWithEfAsync(db, now, limit, ct);
            if (mine.Count == 0)
            {
                return [];
            }

            var endpointIds = mine.Select(d => d.EndpointId).Distinct().ToList();
            var endpoints = await db.Set<WebhookSubscription>().IgnoreQueryFilters().AsNoTracking()
                .Where(e => endpointIds.Contains(e.Id)).ToDictionaryAsync(e => e.Id, ct);
            return mine.Select(d => new Claimed(d, endpoints.GetValueOrDefault(d.EndpointId))).ToList();
        }, ct);
    }

    /// <summary>SQLite (one writer, one node): the due deliveries, then a conditional UPDATE that marks them with a claim token.</summary>
    private async Task<List<WebhookDelivery>> ClaimWithEfAsync(CoditectDbContext db, DateTime now, int limit, CancellationToken ct)
    {
        var deliveries = db.Set<WebhookDelivery>().IgnoreQueryFilters();
        var due = await deliveries
            .Where(d => d.Status == DeliveryStatus.Pending && d.NextAttemptAt <= now && (d.LeaseUntil == null || d.LeaseUntil < now))
            .OrderBy(d => d.NextAttemptAt).Select(d => d.Id).Take(limit).ToListAsync(ct);
        if (due.Count == 0)
        {
            return [];
        }

        // Re-checked row by row: a delivery claimed meanwhile no longer matches.
        var token = Guid.NewGuid();
        await deliveries
            .Where(d => due.Contains(d.Id) && d.Status == DeliveryStatus.Pending && (d.LeaseUntil == null || d.LeaseUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntil, now + options.Value.Lease)
                .SetProperty(d => d.ClaimToken, token), ct);
        return await deliveries.AsNoTracking().Where(d => d.ClaimToken == token).ToListAsync(ct);
    }

    private async Task<Attempt> SendAsync(Claimed claimed, CancellationToken ct)
    {
        if (claimed.Endpoint is not { Enabled: true } endpoint)
        {
            return new Attempt(claimed, null, 0, null, "The endpoint is turned off.");
        }

        var delivery = claimed.Delivery;
        var now = clock.GetUtcNow();
        var id = "msg_" + delivery.Id.ToString("N");
        var timestamp = now.ToUnixTimeSeconds();
        var signatures = WebhookSignature.Sign(SecretKey(endpoint.Secret), id, timestamp, delivery.Payload);
        if (endpoint.PreviousSecret is { } previous && endpoint.PreviousSecretUntil > now.UtcDateTime)
        {
            signatures += " " + WebhookSignature.Sign(SecretKey(previous), id, timestamp, delivery.Payload);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url)
        {
            Content = new StringContent(delivery.Payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", signatures);
        if (delivery.Sequence is { } sequence)
        {
            request.Headers.Add(SequenceHeader, sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var clockStart = Stopwatch.GetTimestamp();
        try
        {
            using var response = await httpClients.CreateClient(WebhookNetwork.HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var excerpt = await ReadExcerptAsync(response, ct);
            return new Attempt(claimed, (int)response.StatusCode, Elapsed(clockStart), excerpt, null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException && !ct.IsCancellationRequested)
        {
            var error = e is TaskCanceledException ? $"No answer within {options.Value.TimeoutSeconds} s." : e.GetBaseException().Message;
            return new Attempt(claimed, null, Elapsed(clockStart), null, error.Length > 500 ? error[..500] : error);
        }
    }

    private async Task RecordAsync(IReadOnlyList<Attempt> attempts, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
        // A failed save fails the whole batch (rolled back, resent when the claims lapse): no savepoint round trips.
        db.Database.AutoSavepointsEnabled = false;
        await db.RunAsSystemAsync(async () =>
        {
            var now = clock.GetUtcNow().UtcDateTime;
            if (db.Database.IsNpgsql())
            {
                await RecordOnPostgresAsync(db, attempts, now, ct);
            }
            else
            {
                await RecordWithEfAsync(db, attempts, now, ct);
            }

            await RecordEndpointHealthAsync(scope.ServiceProvider, db, attempts, now, ct);
            return true;
        }, ct);
    }

    /// <summary>SQLite (writers serialize anyway): the rows through EF, one attempt after another.</summary>
    private async Task RecordWithEfAsync(CoditectDbContext db, IReadOnlyList<Attempt> attempts, DateTime now, CancellationToken ct)
    {
        var ids = attempts.Select(a => a.Claimed.Delivery.Id).ToList();
        var deliveries = await db.Set<WebhookDelivery>().IgnoreQueryFilters().Where(d => ids.Contains(d.Id)).ToDictionaryAsync(d => d.Id, ct);
        foreach (var attempt in attempts)
        {
            if (!deliveries.TryGetValue(attempt.Claimed.Delivery.Id, out var delivery))
            {
                continue; // its endpoint was deleted meanwhile
            }

            db.Add(new WebhookAttempt
            {
                TenantId = delivery.TenantId,
                DeliveryId = delivery.Id,
                EndpointId = delivery.EndpointId,
                StatusCode = attempt.StatusCode,
                LatencyMs = attempt.LatencyMs,
                Response = attempt.Response,
                Error = attempt.Error,
            });
            delivery.AttemptCount++;
            delivery.LastStatusCode = attempt.StatusCode;
            if (delivery.ClaimToken != attempt.Claimed.Delivery.ClaimToken)
            {
                continue; // redelivered while this attempt was in flight: the redelivery's schedule stands
            }

            delivery.LeaseUntil = null;
            delivery.ClaimToken = null;
            var next = Next(attempt, delivery.AttemptCount, now);
            delivery.Status = next.Status ?? delivery.Status;
            delivery.NextAttemptAt = next.NextAttemptAt;
            if (next.Status == DeliveryStatus.Succeeded)
            {
                delivery.DeliveredAt = now;
            }

            metrics.WebhookAttempted(next.Outcome, TimeSpan.FromMilliseconds(attempt.LatencyMs));
        }

        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// What an attempt the delivery still claimed makes of it, its <paramref name="attemptCount"/>th: done on a 2xx,
    /// else the next retry (status unchanged, null) with up to 10 % jitter, or failed when none is left.
    /// </summary>
    private (string? Status, DateTime? NextAttemptAt, string Outcome) Next(Attempt attempt, int attemptCount, DateTime now)
    {
        var retries = options.Value.Retries;
        if (attempt.Succeeded)
        {
            return (DeliveryStatus.Succeeded, null, "delivered");
        }

        if (attempt.Claimed.Endpoint is { Enabled: true } && attemptCount <= retries.Count)
        {
            return (null, now + (retries[attemptCount - 1] * (0.9 + (Random.Shared.NextDouble() * 0.2))), "failed");
        }

        return (DeliveryStatus.Failed, null, "abandoned");
    }

    /// <summary>
    /// A success clears an endpoint's failing streak; a failure starts one, and a streak of days turns it off and mails
    /// its organization's owners and admins.
    /// </summary>
    private async Task RecordEndpointHealthAsync(IServiceProvider services, CoditectDbContext db, IReadOnlyList<Attempt> attempts, DateTime now, CancellationToken ct)
    {
        var endpoints = db.Set<WebhookSubscription>().IgnoreQueryFilters();
        var answered = attempts.Where(a => a.Succeeded).Select(a => a.Claimed.Delivery.EndpointId).Distinct().ToList();
        var failing = attempts.Where(a => !a.Succeeded && a.Claimed.Endpoint is { Enabled: true })
            .Select(a => a.Claimed.Delivery.EndpointId).Distinct().Except(answered).ToList();
        if (answered.Count > 0)
        {
            await endpoints.Where(e => answered.Contains(e.Id) && e.FailingSince != null)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.FailingSince, (DateTime?)null), ct);
        }

        if (failing.Count == 0)
        {
            return;
        }

        await endpoints.Where(e => failing.Contains(e.Id) && e.FailingSince == null)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.FailingSince, now), ct);
        var cutoff = now - TimeSpan.FromDays(options.Value.DisableAfterDays);
        var reason = $"Turned off by the server: every attempt failed for {options.Value.DisableAfterDays} days.";
        var due = await endpoints.AsNoTracking().Where(e => failing.Contains(e.Id) && e.Enabled && e.FailingSince <= cutoff).ToListAsync(ct);
        if (due.Count == 0)
        {
            return;
        }

        var ids = due.Select(e => e.Id).ToList();
        await endpoints.Where(e => ids.Contains(e.Id) && e.Enabled)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Enabled, false).SetProperty(e => e.DisabledReason, reason), ct);
        logger.LogWarning("{Count} webhook endpoint(s) turned off after failing for {Days} days", due.Count, options.Value.DisableAfterDays);
        var mailbox = services.GetRequiredService<Mailbox>();
        foreach (var endpoint in due)
        {
            var organization = await db.Set<Organization>().AsNoTracking().SingleAsync(o => o.Id == endpoint.TenantId, ct);
            var link = mailbox.Link($"/orgs/{organization.Slug}/webhooks/{endpoint.Id}");
            await mailbox.QueueToAdminsAsync(organization.Id, MailKinds.WebhookDisabled,
                _ => MailTemplates.WebhookDisabled(organization.Name, endpoint.Url, reason, link, mailbox.PreferencesLink), ct);
        }
    }

    private byte[] SecretKey(byte[] encrypted) =>
        WebhookSignature.KeyOf(Encoding.UTF8.GetString(masterKey.Decrypt(encrypted, WebhookAdmin.SecretPurpose)));

    private static async Task<string?> ReadExcerptAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[ResponseExcerptBytes];
        var read = 0;
        while (read < buffer.Length && await body.ReadAsync(buffer.AsMemory(read), ct) is var n and > 0)
        {
            read += n;
        }

        return read == 0 ? null : Encoding.UTF8.GetString(buffer, 0, read).Replace("\0", "", StringComparison.Ordinal);
    }

    private static int Elapsed(long start) => (int)Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}

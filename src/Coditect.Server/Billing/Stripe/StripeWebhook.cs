using System.Text.Json;
using Coditect.Contracts.Billing;
using Coditect.Server.Data;
using Coditect.Server.Notifications.Email;
using Coditect.Server.Organizations;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Billing.Stripe;

/// <summary>
/// Applies a verified Stripe event to its organization (scoped, in the request's transaction). Each event is applied
/// once: its id goes into <c>billing_events</c> (unique) under the organization's billing lock, so a retry, a replay or
/// two nodes receiving it at once change nothing more. Events may arrive in any order and still leave the state they
/// leave in order, because every field merges the same way whatever the order:
/// <list type="bullet">
/// <item>subscription snapshots (<c>customer.subscription.*</c>) win by Stripe's <c>created</c>: an older one arriving
/// later is stored and ignored;</item>
/// <item>the period end only moves forward (the newest of every snapshot's and paid invoice's period end);</item>
/// <item><c>past_due_since</c> is computed from the stored events: the first failed payment after the last paid
/// invoice, or none.</item>
/// </list>
/// </summary>
/// <remarks>
/// Two events also mail the organization's owners and admins, in the transaction that stores the event (so once per
/// event, as the event is applied once): <c>customer.subscription.trial_will_end</c> (<see cref="MailKinds.TrialEnding"/>,
/// which a person may turn off) and <c>invoice.payment_failed</c> (<see cref="MailKinds.PaymentFailed"/>, always sent).
/// </remarks>
public sealed class StripeWebhook(
    CoditectDbContext db, TenantScope scope, Subscriptions subscriptions, Mailbox mailbox, IOptions<BillingOptions> options, TimeProvider clock,
    ILogger<StripeWebhook> log)
{
    public enum Result
    {
        Applied,
        Duplicate,
        Ignored,
    }

    private const string CheckoutCompleted = "checkout.session.completed";
    private const string SubscriptionCreated = "customer.subscription.created";
    private const string SubscriptionUpdated = "customer.subscription.updated";
    private const string SubscriptionDeleted = "customer.subscription.deleted";
    private const string TrialWillEnd = "customer.subscription.trial_will_end";
    private const string InvoicePaid = "invoice.paid";
    private const string PaymentFailed = "invoice.payment_failed";

    private static readonly HashSet<string> Handled =
        [CheckoutCompleted, SubscriptionCreated, SubscriptionUpdated, SubscriptionDeleted, TrialWillEnd, InvoicePaid, PaymentFailed];

    public async Task<Result> ApplyAsync(JsonElement stripeEvent, CancellationToken ct)
    {
        var eventId = Text(stripeEvent, "id");
        var type = Text(stripeEvent, "type");
        if (eventId is null || type is null || !Handled.Contains(type)
            || !stripeEvent.TryGetProperty("data", out var data) || !data.TryGetProperty("object", out var obj))
        {
            return Result.Ignored;
        }

        var occurredAt = Time(stripeEvent, "created") ?? clock.GetUtcNow().UtcDateTime;
        if (await OrganizationOfAsync(type, obj, ct) is not { } organizationId)
        {
            log.LogWarning("Stripe event {EventId} ({Type}) names no organization of this server: ignored", eventId, type);
            return Result.Ignored;
        }

        await scope.EnterAsync(organizationId, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var account = await subscriptions.LockedAsync(now, ct);
        var id = Guid.CreateVersion7();
        var stored = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO billing_events (id, tenant_id, event_id, type, occurred_at, created_at, updated_at)
            VALUES ({id}, {organizationId}, {eventId}, {type}, {occurredAt}, {now}, {now})
            ON CONFLICT (event_id) DO NOTHING
            """, ct);
        if (stored == 0)
        {
            return Result.Duplicate;
        }

        var first = account.Plan is null;
        var raise = BillingEvents.Updated;
        switch (type)
        {
            case CheckoutCompleted:
                account.CustomerId ??= Text(obj, "customer");
                account.SubscriptionId ??= Text(obj, "subscription");
                if (account.StripeStateAt is null && obj.TryGetProperty("metadata", out var metadata))
                {
                    // No snapshot yet: what the checkout was for, until the subscription's own events say more.
                    account.Plan = Plan(Text(metadata, "plan")) ?? account.Plan;
                    account.Seats = int.TryParse(Text(metadata, "seats"), out var seats) ? seats : account.Seats;
                    account.Status = SubscriptionStatuses.Active;
                }

                break;
            case SubscriptionCreated or SubscriptionUpdated or SubscriptionDeleted:
                if (account.StripeStateAt is { } newest && occurredAt < newest)
                {
                    break; // stale snapshot
                }

                ApplySnapshot(account, obj, deleted: type == SubscriptionDeleted);
                account.StripeStateAt = occurredAt;
                raise = type == SubscriptionDeleted ? BillingEvents.Canceled : BillingEvents.Updated;
                break;
            case TrialWillEnd:
                raise = BillingEvents.TrialWillEnd;
                break;
            case InvoicePaid:
                account.PeriodEnd = Later(account.PeriodEnd, InvoicePeriodEnd(obj));
                raise = BillingEvents.InvoicePaid;
                break;
            case PaymentFailed:
                raise = BillingEvents.InvoicePaymentFailed;
                break;
        }

        account.PastDueSince = await PastDueSinceAsync(ct);
        var response = await subscriptions.ProviderChangedAsync(account, first && account.Plan is not null, raise, now, ct);
        await MailAsync(organizationId, type, obj, account, response, occurredAt, ct);
        return Result.Applied;
    }

    /// <summary>The mail two events send to the organization's owners and admins (queued in this transaction).</summary>
    private async Task MailAsync(Guid organizationId, string type, JsonElement obj, BillingAccount account, BillingResponse response, DateTime occurredAt, CancellationToken ct)
    {
        if (type is not (TrialWillEnd or PaymentFailed))
        {
            return;
        }

        var organization = await db.Set<Organization>().AsNoTracking().SingleAsync(o => o.Id == organizationId, ct);
        var link = mailbox.Link($"/orgs/{organization.Slug}/billing");
        var plan = account.Plan ?? response.Plan;
        if (type == TrialWillEnd)
        {
            var endsAt = Time(obj, "trial_end") ?? account.TrialEndsAt ?? account.PeriodEnd ?? occurredAt;
            await mailbox.QueueToAdminsAsync(organizationId, MailKinds.TrialEnding,
                _ => MailTemplates.TrialEnding(organization.Name, plan, endsAt, link, mailbox.PreferencesLink), ct);
        }
        else
        {
            // The grace counts from the first failed payment since the last paid invoice (this one, or an earlier one).
            var accessUntil = (account.PastDueSince ?? occurredAt).AddDays(options.Value.GraceDays);
            await mailbox.QueueToAdminsAsync(organizationId, MailKinds.PaymentFailed,
                _ => MailTemplates.PaymentFailed(organization.Name, plan, accessUntil, link), ct);
        }
    }

    private void ApplySnapshot(BillingAccount account, JsonElement subscription, bool deleted)
    {
        account.SubscriptionId = Text(subscription, "id") ?? account.SubscriptionId;
        account.CustomerId = Text(subscription, "customer") ?? account.CustomerId;
        account.Status = deleted ? SubscriptionStatuses.Canceled : Text(subscription, "status") switch
        {
            "trialing" => SubscriptionStatuses.Trialing,
            "active" => SubscriptionStatuses.Active,
            "past_due" or "unpaid" => SubscriptionStatuses.PastDue,
            "canceled" or "incomplete_expired" => SubscriptionStatuses.Canceled,
            _ => SubscriptionStatuses.None,
        };
        account.CancelAtPeriodEnd = subscription.TryGetProperty("cancel_at_period_end", out var cancel) && cancel.ValueKind == JsonValueKind.True;
        var item = subscription.TryGetProperty("items", out var items) && items.TryGetProperty("data", out var list)
            && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0 ? list[0] : default;
        if (item.ValueKind == JsonValueKind.Object)
        {
            if (item.TryGetProperty("price", out var price) && Plan(options.Value.Stripe.PlanOf(Text(price, "id"))) is { } plan)
            {
                account.Plan = plan;
            }

            if (item.TryGetProperty("quantity", out var quantity) && quantity.TryGetInt32(out var seats))
            {
                account.Seats = seats;
            }
        }

        if (subscription.TryGetProperty("metadata", out var metadata) && account.Plan is null)
        {
            account.Plan = Plan(Text(metadata, "plan"));
        }

        // API versions before 2025-03-31 carry the period on the subscription, later ones on its items.
        account.PeriodEnd = Later(account.PeriodEnd, Time(subscription, "current_period_end") ?? (item.ValueKind == JsonValueKind.Object ? Time(item, "current_period_end") : null));
        if (Time(subscription, "trial_start") is { } trialStart)
        {
            account.TrialStartedAt ??= trialStart;
            account.TrialEndsAt = Time(subscription, "trial_end");
        }
    }

    /// <summary>The first failed payment after the newest paid invoice, from the stored events; null when paid up.</summary>
    private async Task<DateTime?> PastDueSinceAsync(CancellationToken ct)
    {
        var events = db.Set<BillingEvent>().AsNoTracking();
        var lastPaid = await events.Where(e => e.Type == InvoicePaid).MaxAsync(e => (DateTime?)e.OccurredAt, ct);
        var failures = events.Where(e => e.Type == PaymentFailed);
        if (lastPaid is { } paid)
        {
            failures = failures.Where(e => e.OccurredAt > paid);
        }

        return await failures.MinAsync(e => (DateTime?)e.OccurredAt, ct);
    }

    /// <summary>The organization an event is about: the checkout's client reference, the subscription's metadata, or the customer's account.</summary>
    private async Task<Guid?> OrganizationOfAsync(string type, JsonElement obj, CancellationToken ct)
    {
        Guid? candidate = null;
        if (type == CheckoutCompleted && Guid.TryParse(Text(obj, "client_reference_id"), out var reference))
        {
            candidate = reference;
        }
        else if (MetadataOf(obj) is { } metadata && Guid.TryParse(Text(metadata, "organization_id"), out var fromMetadata))
        {
            candidate = fromMetadata;
        }

        if (candidate is { } id)
        {
            return await db.Set<Organization>().AsNoTracking().AnyAsync(o => o.Id == id, ct) ? id : null;
        }

        var customer = Text(obj, "customer");
        if (customer is null)
        {
            return null;
        }

        return await db.RunAsSystemAsync(() => db.Set<BillingAccount>().IgnoreQueryFilters().AsNoTracking()
            .Where(a => a.CustomerId == customer).Select(a => (Guid?)a.TenantId).FirstOrDefaultAsync(ct), ct);
    }

    /// <summary>
    /// The metadata checkout gave the subscription: on a subscription itself; on an invoice, as its subscription's
    /// (<c>parent.subscription_details</c> since API 2025-03-31, <c>subscription_details</c> before).
    /// </summary>
    private static JsonElement? MetadataOf(JsonElement obj)
    {
        foreach (var candidate in new[]
        {
            obj,
            obj.TryGetProperty("subscription_details", out var details) ? details : default,
            obj.TryGetProperty("parent", out var parent) && parent.ValueKind == JsonValueKind.Object
                && parent.TryGetProperty("subscription_details", out var parentDetails) ? parentDetails : default,
        })
        {
            if (candidate.ValueKind == JsonValueKind.Object && candidate.TryGetProperty("metadata", out var metadata)
                && metadata.ValueKind == JsonValueKind.Object && Text(metadata, "organization_id") is not null)
            {
                return metadata;
            }
        }

        return null;
    }

    private string? Plan(string? name) => name is not null && subscriptions.PlanExists(name) ? name : null;

    private static DateTime? InvoicePeriodEnd(JsonElement invoice) =>
        invoice.TryGetProperty("lines", out var lines) && lines.TryGetProperty("data", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(l => l.TryGetProperty("period", out var period) ? Time(period, "end") : null).Max()
            : Time(invoice, "period_end");

    private static DateTime? Later(DateTime? a, DateTime? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static DateTime? Time(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime
            : null;
}

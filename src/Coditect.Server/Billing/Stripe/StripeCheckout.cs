using Coditect.Contracts.Billing;
using Coditect.Contracts.Common;
using Coditect.Server.Data;
using Coditect.Server.Licensing;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using global::Stripe;

namespace Coditect.Server.Billing.Stripe;

/// <summary>
/// Checkout and the customer portal through Stripe.net (scoped). Stripe is called outside any database transaction:
/// the use case reads what it needs, commits the request's transaction, calls Stripe, then stores the customer id in
/// a new one. One Stripe customer per organization: created once with the idempotency key
/// <c>customer-{organization id}</c> (two checkouts at once get the same customer) and reused. The checkout session is
/// in subscription mode with the organization as <c>client_reference_id</c> and in the subscription's metadata, so every
/// later event names it (<see cref="StripeWebhook"/>).
/// </summary>
public sealed class StripeCheckout(
    CoditectDbContext db, TenantScope scope, OrgScope org, Subscriptions subscriptions, IOptions<BillingOptions> options,
    IOptions<AppOptions> app, IHttpClientFactory httpClients, TimeProvider clock)
{
    public const string HttpClientName = "stripe";

    public async Task<Outcome<BillingLink>> CheckoutAsync(CheckoutRequest input, CancellationToken ct)
    {
        var stripe = options.Value.Stripe;
        var errors = new Validator();
        var plan = errors.Required("plan", input.Plan);
        var price = plan.Length > 0 && stripe.Prices.TryGetValue(plan, out var p) ? p : null;
        if (plan.Length > 0 && price is null)
        {
            errors.Add("plan", $"must be one of {string.Join(", ", stripe.Prices.Keys)}.");
        }

        var seats = input.Seats ?? 1;
        if (seats is < 1 or > License.MaxSeats)
        {
            errors.Add("seats", $"must be from 1 to {License.MaxSeats:N0}.");
        }

        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        var organization = org.Organization;
        var account = await db.Set<BillingAccount>().AsNoTracking().FirstOrDefaultAsync(ct);
        await scope.CommitAsync(ct); // no HTTP call to a third party inside a database transaction

        var client = Client();
        var customer = account?.CustomerId ?? (await new CustomerService(client).CreateAsync(new CustomerCreateOptions
        {
            Name = organization.Name,
            Metadata = new Dictionary<string, string> { ["organization_id"] = organization.Id.ToString() },
        }, new RequestOptions { IdempotencyKey = $"customer-{organization.Id}" }, ct)).Id;

        var metadata = new Dictionary<string, string> { ["organization_id"] = organization.Id.ToString(), ["plan"] = plan, ["seats"] = seats.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var session = await new global::Stripe.Checkout.SessionService(client).CreateAsync(new global::Stripe.Checkout.SessionCreateOptions
        {
            Mode = "subscription",
            Customer = customer,
            ClientReferenceId = organization.Id.ToString(),
            LineItems = [new global::Stripe.Checkout.SessionLineItemOptions { Price = price, Quantity = seats }],
            Metadata = metadata,
            SubscriptionData = new global::Stripe.Checkout.SessionSubscriptionDataOptions { Metadata = metadata },
            SuccessUrl = app.Value.Link($"/orgs/{organization.Slug}/billing?checkout=done"),
            CancelUrl = app.Value.Link($"/orgs/{organization.Slug}/billing"),
        }, cancellationToken: ct);

        if (account?.CustomerId is null)
        {
            await scope.EnterAsync(organization.Id, ct);
            var locked = await subscriptions.LockedAsync(clock.GetUtcNow().UtcDateTime, ct);
            locked.CustomerId ??= customer;
            await db.SaveChangesAsync(ct);
        }

        return new BillingLink(session.Url);
    }

    /// <summary>Stripe's customer portal (change the card, cancel); 409 <c>NO_SUBSCRIPTION</c> before any checkout.</summary>
    public async Task<Outcome<BillingLink>> PortalAsync(CancellationToken ct)
    {
        var organization = org.Organization;
        var account = await db.Set<BillingAccount>().AsNoTracking().FirstOrDefaultAsync(ct);
        if (account?.CustomerId is not { } customer)
        {
            return Refusal.Conflict(ProblemCodes.NoSubscription, "This organization has not checked out yet.");
        }

        await scope.CommitAsync(ct);
        var session = await new global::Stripe.BillingPortal.SessionService(Client()).CreateAsync(new global::Stripe.BillingPortal.SessionCreateOptions
        {
            Customer = customer,
            ReturnUrl = app.Value.Link($"/orgs/{organization.Slug}/billing"),
        }, cancellationToken: ct);
        return new BillingLink(session.Url);
    }

    /// <summary>
    /// Cancels at the period's end (access lasts until then; Stripe's <c>customer.subscription.deleted</c> ends it), and
    /// records <c>cancel_at_period_end</c> now. 409 <c>NO_SUBSCRIPTION</c> without a Stripe subscription.
    /// </summary>
    public async Task<Outcome<BillingResponse>> CancelAsync(CancellationToken ct)
    {
        var organization = org.Organization;
        var account = await db.Set<BillingAccount>().AsNoTracking().FirstOrDefaultAsync(ct);
        if (account?.SubscriptionId is not { } subscriptionId || account.Status == Contracts.Billing.SubscriptionStatuses.Canceled)
        {
            return Refusal.Conflict(ProblemCodes.NoSubscription, "This organization has no Stripe subscription to cancel.");
        }

        await scope.CommitAsync(ct);
        await new SubscriptionService(Client()).UpdateAsync(subscriptionId, new SubscriptionUpdateOptions { CancelAtPeriodEnd = true },
            new RequestOptions { IdempotencyKey = $"cancel-{subscriptionId}" }, ct);

        await scope.EnterAsync(organization.Id, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var locked = await subscriptions.LockedAsync(now, ct);
        locked.CancelAtPeriodEnd = true;
        return await subscriptions.ProviderChangedAsync(locked, first: false, BillingEvents.Updated, now, ct);
    }

    private StripeClient Client()
    {
        var stripe = options.Value.Stripe;
        return new StripeClient(stripe.SecretKey, null, new SystemNetHttpClient(httpClients.CreateClient(HttpClientName), 2, null, false), stripe.ApiBase);
    }
}

using Coditect.Contracts.Billing;
using Coditect.Contracts.Common;
using Coditect.Server.Identity;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Billing;

/// <summary>
/// <c>/orgs/{org}/usage</c> and <c>/orgs/{org}/billing</c>: owners and admins read (ReadBilling), owners act
/// (ManageBilling); usable while staff have suspended the organization. Staff set plans under
/// <c>/api/v1/staff/organizations/{id}/billing</c>.
/// </summary>
public static class BillingEndpoints
{
    public static void MapBillingEndpoints(this RouteGroupBuilder org)
    {
        org.MapGet("/usage", Usage).WithTags("Billing").RequirePermission(Permission.ReadBilling).AllowWhenSuspended()
            .WithName("getUsage").WithSummary("The plan in force and every quota's use and limit");
        var billing = org.MapGroup("/billing").WithTags("Billing").AllowWhenSuspended();
        billing.MapGet("/", Get).RequirePermission(Permission.ReadBilling)
            .WithName("getBilling").WithSummary("The organization's plan, subscription status and period");
        billing.MapPost("/trial", Trial).RequirePermission(Permission.ManageBilling)
            .WithName("startTrial").WithSummary("Start the organization's one trial of the trial plan")
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.TrialAlreadyUsed, ProblemCodes.SubscriptionActive);
        billing.MapPost("/checkout", Checkout).RequirePermission(Permission.ManageBilling)
            .WithName("startCheckout").WithSummary("Stripe's checkout page for a plan and seats (not with manual billing)")
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.BillingProviderManual);
        billing.MapPost("/cancel", Cancel).RequirePermission(Permission.ManageBilling)
            .WithName("cancelSubscription").WithSummary("Cancel the Stripe subscription at the end of its period (not with manual billing)")
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.BillingProviderManual, ProblemCodes.NoSubscription);
        billing.MapPost("/portal", Portal).RequirePermission(Permission.ManageBilling)
            .WithName("openBillingPortal").WithSummary("Stripe's customer portal: change the card, cancel (not with manual billing)")
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.BillingProviderManual, ProblemCodes.NoSubscription);
        billing.MapPost("/product-license/rotate-key", RotateProductKey).RequirePermission(Permission.ManageBilling)
            .WithName("rotateProductLicenceKey").WithSummary("A new key for the product licence, shown once; the old one stops working")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound);
        Metering.MeterEndpoints.MapMeterEndpoints(billing);
    }

    public static void MapStaffBilling(this RouteGroupBuilder api)
    {
        var billing = api.MapGroup("/staff/organizations/{id:guid}/billing").WithTags("Staff").RequireAuthorization(StaffRequirement.Policy);
        billing.MapGet("/", StaffGet).WithName("getOrganizationBilling").WithSummary("An organization's plan, subscription status and period")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.OrgNotFound);
        billing.MapPut("/", StaffSet).WithName("setOrganizationPlan")
            .WithSummary("Set an organization's plan, period end and product seats by hand (manual billing)")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.OrgNotFound);
    }

    /// <summary>Stripe's webhook (anonymous; the signature is the credential). Only with <c>Billing:Provider=Stripe</c>.</summary>
    public static void MapStripeWebhook(this RouteGroupBuilder api)
    {
        api.MapPost("/billing/stripe/webhook", StripeEvent).WithTags("Billing").AllowAnonymous().WithBodyLimit(StripeBodyLimit)
            .WithName("receiveStripeEvent").WithSummary("Stripe's webhook: a signed event, applied once")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.NotFound);
    }

    private const long StripeBodyLimit = 1024 * 1024;

    private static async Task<Results<Ok<StripeEventAnswer>, ProblemHttpResult>> StripeEvent(
        HttpRequest request, IOptions<BillingOptions> options, Stripe.StripeWebhook webhook, TimeProvider clock, CancellationToken ct)
    {
        var stripe = options.Value.Stripe;
        if (options.Value.Provider != BillingProvider.Stripe || string.IsNullOrEmpty(stripe.WebhookSecret))
        {
            return Problems.NotFound(ProblemCodes.NotFound, "The route");
        }

        using var reader = new StreamReader(request.Body, System.Text.Encoding.UTF8);
        var payload = await reader.ReadToEndAsync(ct);
        if (!Stripe.StripeSignature.Verify(payload, request.Headers["Stripe-Signature"].ToString(), stripe.WebhookSecret, clock.GetUtcNow(),
                TimeSpan.FromSeconds(stripe.WebhookToleranceSeconds)))
        {
            return Problems.Validation("stripe_signature", "is missing, does not match the body, or is older than the tolerance.");
        }

        System.Text.Json.JsonElement stripeEvent;
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(payload);
            stripeEvent = document.RootElement.Clone();
        }
        catch (System.Text.Json.JsonException)
        {
            return Problems.Validation("body", "is not a JSON event.");
        }

        var result = await webhook.ApplyAsync(stripeEvent, ct);
        return TypedResults.Ok(new StripeEventAnswer(result.ToString().ToLowerInvariant()));
    }

    /// <summary>What the webhook did with an event: <c>applied</c>, <c>duplicate</c> (applied before) or <c>ignored</c>.</summary>
    public sealed record StripeEventAnswer(string Result);

    private static async Task<Ok<UsageOverview>> Usage(Quotas quotas, CancellationToken ct) => TypedResults.Ok(await quotas.UsageAsync(ct));

    private static async Task<Ok<BillingResponse>> Get(Subscriptions subscriptions, CancellationToken ct) =>
        TypedResults.Ok(await subscriptions.GetAsync(ct));

    private static async Task<Results<Ok<BillingResponse>, ProblemHttpResult>> Trial(Subscriptions subscriptions, CancellationToken ct) =>
        Answer(await subscriptions.StartTrialAsync(ct));

    private static async Task<Results<Ok<BillingLink>, ProblemHttpResult>> Checkout(
        CheckoutRequest body, IOptions<BillingOptions> options, Stripe.StripeCheckout stripe, CancellationToken ct) =>
        options.Value.Provider == BillingProvider.Manual ? Manual() : Link(await stripe.CheckoutAsync(body, ct));

    private static async Task<Results<Ok<BillingLink>, ProblemHttpResult>> Portal(
        IOptions<BillingOptions> options, Stripe.StripeCheckout stripe, CancellationToken ct) =>
        options.Value.Provider == BillingProvider.Manual ? Manual() : Link(await stripe.PortalAsync(ct));

    private static async Task<Results<Ok<BillingResponse>, ProblemHttpResult>> Cancel(
        IOptions<BillingOptions> options, Stripe.StripeCheckout stripe, CancellationToken ct) =>
        options.Value.Provider == BillingProvider.Manual ? Manual() : Answer(await stripe.CancelAsync(ct));

    private static async Task<Results<Ok<Contracts.Licensing.LicenseResponse>, ProblemHttpResult>> RotateProductKey(
        Subscriptions subscriptions, CancellationToken ct)
    {
        var rotated = await subscriptions.RotateProductKeyAsync(ct);
        return rotated.Refusal is { } refusal ? refusal.ToProblem() : TypedResults.Ok(rotated.Value!);
    }

    private static Results<Ok<BillingLink>, ProblemHttpResult> Link(Outcome<BillingLink> outcome) =>
        outcome.Refusal is { } refusal ? refusal.ToProblem() : TypedResults.Ok(outcome.Value!);

    private static async Task<Results<Ok<BillingResponse>, ProblemHttpResult>> StaffGet(
        Guid id, TenantScope scope, Data.CoditectDbContext db, Subscriptions subscriptions, CancellationToken ct)
    {
        if (!await EnterAsync(id, scope, db, ct))
        {
            return Problems.NotFound(ProblemCodes.OrgNotFound, "The organization");
        }

        return TypedResults.Ok(await subscriptions.GetAsync(ct));
    }

    private static async Task<Results<Ok<BillingResponse>, ProblemHttpResult>> StaffSet(
        Guid id, SetPlanRequest body, TenantScope scope, Data.CoditectDbContext db, Subscriptions subscriptions, CancellationToken ct)
    {
        if (!await EnterAsync(id, scope, db, ct))
        {
            return Problems.NotFound(ProblemCodes.OrgNotFound, "The organization");
        }

        return Answer(await subscriptions.SetPlanAsync(body, ct));
    }

    /// <summary>
    /// Staff are usually not members: the request enters the organization as its tenant (as suspension does), so the
    /// audit and outbox events belong to it. False when there is no such organization.
    /// </summary>
    internal static async Task<bool> EnterAsync(Guid organizationId, TenantScope scope, Data.CoditectDbContext db, CancellationToken ct)
    {
        await scope.BeginAsync(ct);
        if (!await db.Set<Organization>().AsNoTracking().AnyAsync(o => o.Id == organizationId, ct))
        {
            return false;
        }

        await scope.EnterAsync(organizationId, ct);
        return true;
    }

    private static ProblemHttpResult Manual() =>
        Problems.Conflict(ProblemCodes.BillingProviderManual, "Billing is manual on this server: platform staff set each organization's plan.");

    private static Results<Ok<BillingResponse>, ProblemHttpResult> Answer(Outcome<BillingResponse> outcome) =>
        outcome.Refusal is { } refusal ? refusal.ToProblem() : TypedResults.Ok(outcome.Value!);
}

using System.Globalization;
using Coditect.Contracts.Billing;
using Coditect.Contracts.Licensing;
using Coditect.Server.Data;
using Coditect.Server.Licensing;
using Coditect.Server.Licensing.Admin;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Billing.Pages;

/// <summary>
/// The organization's billing: the plan and its state, each quota's use against its limit (as <c>GET /usage</c>), and
/// the owner's actions through the same use cases as <c>/api/v1/orgs/{org}/billing/*</c>: the one trial, Stripe's
/// checkout and customer portal (card, cancellation, invoices), and a new key for the product licence. Owners and
/// admins read (ReadBilling); owners act (ManageBilling, checked per handler).
/// </summary>
[RequirePermission(Permission.ReadBilling)]
public sealed class BillingModel(
    CoditectDbContext db, Subscriptions subscriptions, Quotas quotas, PlanCatalog catalog, Stripe.StripeCheckout stripe,
    IOptions<BillingOptions> options, TimeProvider clock) : ConsolePage
{
    public BillingResponse Billing { get; private set; } = null!;
    public UsageOverview Usage { get; private set; } = null!;
    public LicenseResponse? ProductLicense { get; private set; }
    public DateTime Now { get; private set; }

    /// <summary>When a past-due subscription's grace ends (the product licence is suspended then), if past due.</summary>
    public DateTime? GraceEnd { get; private set; }

    /// <summary>Whether Stripe knows this organization as a customer (the portal opens).</summary>
    public bool HasCustomer { get; private set; }

    /// <summary>A rule refused the action (its status is the page's): shown as an alert.</summary>
    public string? Refused { get; private set; }

    public bool IsStripe => options.Value.Provider == BillingProvider.Stripe;

    /// <summary>The plans checkout offers: those with a Stripe price.</summary>
    public IReadOnlyList<string> PaidPlans => [.. catalog.Names.Where(options.Value.Stripe.Prices.ContainsKey)];

    public int TrialDays => options.Value.TrialDays;
    public string TrialPlan => options.Value.TrialPlan;

    /// <summary>Whole days left of the trial, rounded up (0 once it has ended).</summary>
    public int TrialDaysLeft => Billing.TrialEndsAt is { } end && end > Now ? (int)Math.Ceiling((end - Now).TotalDays) : 0;

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    [RequirePermission(Permission.ManageBilling)]
    public async Task<IActionResult> OnPostTrialAsync(CancellationToken ct)
    {
        var started = await subscriptions.StartTrialAsync(ct);
        if (started.Refusal is { } refusal)
        {
            return await RefusedAsync(refusal, ct);
        }

        Secret = started.Value!.ProductLicenseKey;
        return RedirectWith(Shell.OrgPath("/billing"),
            $"The {started.Value.Plan} trial has started: it ends on {Day(started.Value.TrialEndsAt)}.");
    }

    [RequirePermission(Permission.ManageBilling)]
    public async Task<IActionResult> OnPostCheckoutAsync([FromForm(Name = "plan")] string? plan, [FromForm(Name = "seats")] string? seats, CancellationToken ct)
    {
        if (!IsStripe)
        {
            return await RefusedAsync(ManualRefusal, ct);
        }

        int? count = null;
        if (!string.IsNullOrWhiteSpace(seats))
        {
            if (!int.TryParse(seats, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return await InvalidAsync(new Validator().Add("seats", "must be a whole number."), ct);
            }

            count = value;
        }

        var checkout = await stripe.CheckoutAsync(new CheckoutRequest(plan, count), ct);
        if (checkout.Refusal is { } refusal)
        {
            return refusal.Errors is { } errors ? await InvalidAsync(errors, ct) : await RefusedAsync(refusal, ct);
        }

        return Redirect(checkout.Value!.Url); // Stripe's page; it comes back to this page
    }

    [RequirePermission(Permission.ManageBilling)]
    public async Task<IActionResult> OnPostPortalAsync(CancellationToken ct)
    {
        if (!IsStripe)
        {
            return await RefusedAsync(ManualRefusal, ct);
        }

        var portal = await stripe.PortalAsync(ct);
        return portal.Refusal is { } refusal ? await RefusedAsync(refusal, ct) : Redirect(portal.Value!.Url);
    }

    [RequirePermission(Permission.ManageBilling)]
    public async Task<IActionResult> OnPostRotateKeyAsync(CancellationToken ct)
    {
        var rotated = await subscriptions.RotateProductKeyAsync(ct);
        if (rotated.Refusal is { } refusal)
        {
            return await RefusedAsync(refusal, ct);
        }

        Secret = rotated.Value!.LicenseKey;
        return RedirectWith(Shell.OrgPath("/billing"), "The product licence has a new key. Copy it now: it is shown only once; the old key no longer works.");
    }

    private static Refusal ManualRefusal =>
        new(StatusCodes.Status409Conflict, Contracts.Common.ProblemCodes.BillingProviderManual,
            "Billing is manual on this server: platform staff set each organization's plan.");

    private async Task<IActionResult> RefusedAsync(Refusal refusal, CancellationToken ct)
    {
        Refused = refusal.Title;
        await LoadAsync(ct);
        var page = Page();
        page.StatusCode = refusal.Status;
        return page;
    }

    private async Task<IActionResult> InvalidAsync(Validator errors, CancellationToken ct)
    {
        ShowErrors(errors);
        await LoadAsync(ct);
        var page = Page();
        page.StatusCode = StatusCodes.Status400BadRequest;
        return page;
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Now = clock.GetUtcNow().UtcDateTime;
        Billing = await subscriptions.GetAsync(ct);
        Usage = await quotas.UsageAsync(ct);
        var account = await db.Set<BillingAccount>().AsNoTracking().FirstOrDefaultAsync(ct);
        HasCustomer = account?.CustomerId is not null;
        GraceEnd = Billing.Status == SubscriptionStatuses.PastDue || account?.PastDueSince is not null
            ? (account?.PastDueSince ?? Now).AddDays(options.Value.GraceDays)
            : null;
        if (Billing.ProductLicenseId is { } id && await db.Set<License>().AsNoTracking().FirstOrDefaultAsync(l => l.Id == id, ct) is { } license)
        {
            ProductLicense = license.ToResponse(await LicenseEndpoints.SeatsUsedAsync(db, license.Id, Now, ct), Now);
        }
    }

    public static string Day(DateTime? at) => at?.ToString("d MMMM yyyy", CultureInfo.InvariantCulture) ?? "—";

    /// <summary>A quota's wire name as the page says it.</summary>
    public static string QuotaLabel(string quota) => quota switch
    {
        QuotaNames.Members => "Members (with pending invitations)",
        QuotaNames.Licenses => "Licences",
        QuotaNames.SeatsPerLicense => "Seats of one licence (the largest)",
        QuotaNames.Projects => "Projects",
        QuotaNames.Messages => "Stored messages",
        QuotaNames.MessageBytes => "Stored message bytes",
        QuotaNames.ApiRequestsPerHour => "API requests per hour, per user or key",
        _ => quota,
    };

    public static string Amount(string quota, long value) => quota == QuotaNames.MessageBytes
        ? value switch
        {
            >= 1_000_000_000 => (value / 1e9).ToString("0.#", CultureInfo.InvariantCulture) + " GB",
            >= 1_000_000 => (value / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
            >= 1_000 => (value / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + " kB",
            _ => $"{value} B",
        }
        : value.ToString("N0", CultureInfo.InvariantCulture);
}

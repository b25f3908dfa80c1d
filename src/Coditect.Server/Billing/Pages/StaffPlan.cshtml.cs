using System.Globalization;
using Coditect.Contracts.Billing;
using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Organizations;
using Coditect.Server.Tenancy;
using Coditect.Server.WebConsole;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Billing.Pages;

/// <summary>
/// Staff set an organization's plan, period end and product seats by hand (the manual provider), as
/// <c>PUT /api/v1/staff/organizations/{id}/billing</c> does; audited in the organization with the staff member as actor.
/// </summary>
[Authorize(Policy = StaffRequirement.Policy)]
public sealed class StaffPlanModel(CoditectDbContext db, TenantScope scope, Subscriptions subscriptions, PlanCatalog catalog) : ConsolePage
{
    public Organization Organization { get; private set; } = null!;
    public BillingResponse Billing { get; private set; } = null!;
    public IReadOnlyList<string> Plans => [.. catalog.Names];
    public string DefaultPlan => catalog.DefaultPlan;

    [BindProperty(Name = "plan")]
    public string? Plan { get; set; }

    [BindProperty(Name = "period_end")]
    public string? PeriodEnd { get; set; }

    [BindProperty(Name = "seats")]
    public string? Seats { get; set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct))
        {
            return NotFound();
        }

        Plan = Billing.SubscribedPlan;
        PeriodEnd = Billing.PeriodEnd?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Seats = Billing.Seats.ToString(CultureInfo.InvariantCulture);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct))
        {
            return NotFound();
        }

        var errors = new Platform.Validator();
        DateTime? periodEnd = null;
        if (!string.IsNullOrWhiteSpace(PeriodEnd))
        {
            if (DateTime.TryParseExact(PeriodEnd, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var end))
            {
                periodEnd = end;
            }
            else
            {
                errors.Add("period_end", "must be a date, e.g. 2027-01-31.");
            }
        }

        int? seats = null;
        if (!string.IsNullOrWhiteSpace(Seats))
        {
            if (int.TryParse(Seats, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                seats = value;
            }
            else
            {
                errors.Add("seats", "must be a whole number.");
            }
        }

        if (!errors.IsValid)
        {
            ShowErrors(errors);
            return Page();
        }

        var set = await subscriptions.SetPlanAsync(new SetPlanRequest(string.IsNullOrEmpty(Plan) ? null : Plan, periodEnd, seats), ct);
        if (set.Refusal is { } refusal)
        {
            ShowErrors(refusal.Errors ?? new Platform.Validator().Add("plan", refusal.Title));
            return Page();
        }

        if (set.Value!.ProductLicenseKey is { } key)
        {
            Secret = key;
        }

        return RedirectWith($"/staff/orgs/{id}/plan", $"{Organization.Name} is on the {set.Value.Plan} plan.");
    }

    private async Task<bool> LoadAsync(Guid id, CancellationToken ct)
    {
        if (await db.Set<Organization>().AsNoTracking().FirstOrDefaultAsync(o => o.Id == id, ct) is not { } organization
            || !await BillingEndpoints.EnterAsync(id, scope, db, ct))
        {
            return false;
        }

        Organization = organization;
        Billing = await subscriptions.GetAsync(ct);
        return true;
    }
}

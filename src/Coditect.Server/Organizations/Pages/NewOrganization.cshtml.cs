using Coditect.Server.WebConsole;
using Coditect.Server.Data;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Organizations.Pages;

/// <summary>Creates an organization owned by the signed-in user, as <c>POST /api/v1/orgs</c> does.</summary>
[Authorize]
public sealed class NewOrganizationModel(CoditectDbContext db, TenantContext tenant, TenantScope scope, Signing.LeaseSigningKeys signingKeys) : ConsolePage
{
    [BindProperty]
    public string? Name { get; set; }

    [BindProperty]
    public string? Slug { get; set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var errors = new Validator();
        var name = errors.Required("name", Name);
        var slug = OrganizationEndpoints.ValidSlug(errors, string.IsNullOrWhiteSpace(Slug) ? null : Slug.Trim());
        if (errors.IsValid && slug is not null && await db.Set<Organization>().AnyAsync(o => o.Slug == slug, ct))
        {
            errors.Add("slug", "is taken by another organization.");
        }

        if (!errors.IsValid)
        {
            ShowErrors(errors);
            return Page();
        }

        var organization = await OrganizationEndpoints.CreateAsync(db, scope, signingKeys, name, slug, tenant.UserId!.Value, ct);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            ShowErrors(new Validator().Add("slug", "is taken by another organization."));
            return Page();
        }

        return RedirectWith($"/orgs/{organization.Slug}", $"{organization.Name} is ready.");
    }
}

using Coditect.Server.Identity;
using Coditect.Server.Tenancy;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Coditect.Server.WebConsole.Pages;

/// <summary>The console's front door: sign in, or the first of the user's organizations, or a new one.</summary>
[AllowAnonymous]
public sealed class IndexModel(TenantContext tenant, Data.CoditectDbContext db) : ConsolePage
{
    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (tenant.UserId is not { } userId)
        {
            return LocalRedirect(ConsoleCookie.SignInPath);
        }

        var first = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstOrDefaultAsync(
            AuthEndpoints.MembershipsOf(db, userId).Select(m => m.Organization.Slug), ct);
        return LocalRedirect(first is null ? "/orgs/new" : $"/orgs/{first}");
    }
}

using Coditect.Server.Data;
using Coditect.Server.Tenancy;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Identity;

/// <summary>
/// The one policy that is not a permission inside an organization: platform operators (<c>users.is_staff</c>), for
/// the staff area. Checked against the database on every request, so revoking staff takes effect at once.
/// </summary>
public sealed record StaffRequirement : IAuthorizationRequirement
{
    public const string Policy = "staff";
}

public sealed class StaffHandler(CoditectDbContext db, TenantContext tenant) : AuthorizationHandler<StaffRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, StaffRequirement requirement)
    {
        // Only a person is staff: an API key never is, whoever made it.
        if (tenant.ApiKeyId is null && tenant.UserId is { } userId
            && await db.Set<User>().AnyAsync(u => u.Id == userId && u.IsStaff))
        {
            context.Succeed(requirement);
        }
    }
}

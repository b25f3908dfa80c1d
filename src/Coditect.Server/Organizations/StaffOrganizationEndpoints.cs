using Coditect.Contracts.Common;
using Coditect.Server.Identity;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coditect.Server.Organizations;

/// <summary>
/// Platform staff's API over organizations, <c>/api/v1/staff/organizations</c>: suspend and unsuspend any organization,
/// member or not. Outside <c>/orgs/{org}</c> on purpose: the organization is addressed by id, not resolved among the
/// caller's own, and the one policy is <see cref="StaffRequirement"/> (a person flagged <c>is_staff</c>, never an API key).
/// </summary>
public static class StaffOrganizationEndpoints
{
    public static void MapStaffOrganizations(this RouteGroupBuilder api)
    {
        var organizations = api.MapGroup("/staff/organizations").WithTags("Staff").RequireAuthorization(StaffRequirement.Policy);
        organizations.MapPost("/{id:guid}/suspend", Suspend)
            .WithName("suspendOrganization")
            .WithSummary("Suspend an organization: its licences refuse acquire and heartbeat, its members can only read it")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.OrgNotFound);
        organizations.MapPost("/{id:guid}/unsuspend", Unsuspend)
            .WithName("unsuspendOrganization")
            .WithSummary("Lift an organization's suspension")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.OrgNotFound);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Suspend(
        Guid id, OrganizationSuspension suspension, TenantContext tenant, CancellationToken ct) =>
        await suspension.SuspendAsync(id, StaffUser(tenant), ct) is null ? NotFound() : TypedResults.NoContent();

    private static async Task<Results<NoContent, ProblemHttpResult>> Unsuspend(
        Guid id, OrganizationSuspension suspension, TenantContext tenant, CancellationToken ct) =>
        await suspension.UnsuspendAsync(id, StaffUser(tenant), ct) is null ? NotFound() : TypedResults.NoContent();

    /// <summary>The staff policy admits only a person, so there is always one.</summary>
    private static Guid StaffUser(TenantContext tenant) =>
        tenant.UserId ?? throw new InvalidOperationException("A staff endpoint ran without a signed-in user.");

    private static ProblemHttpResult NotFound() => Problems.NotFound(ProblemCodes.OrgNotFound, "The organization");
}

using System.Security.Claims;
using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Organizations;
using Coditect.Server.Tenancy;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Organizations;

/// <summary>Permissions are authorization policies, and an organization-scoped endpoint without one cannot ship.</summary>
public sealed class AuthorizationPolicyTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    private List<RouteEndpoint> Endpoints =>
        [.. app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()];

    [Fact]
    public void Every_endpoint_under_an_organization_declares_a_permission_policy()
    {
        // The API's endpoints; the console's pages have their own check (ConsolePolicyTests).
        var scoped = Endpoints.Where(e => e.RoutePattern.Parameters.Any(p => p.Name == "org") && e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal)).ToList();

        scoped.Count.ShouldBeGreaterThanOrEqualTo(20, "the organization, members, invitations, API keys, audit and licences");
        var undeclared = scoped.Where(e => !Permissions.DeclaresPermission(e)).Select(e => e.DisplayName).ToList();
        undeclared.ShouldBeEmpty("deny by default: each of these would answer 403 to everyone");
        scoped.ShouldAllBe(e => e.RoutePattern.RawText!.StartsWith("/api/v1/orgs/{org}"), "one shared /api/v1/orgs/{org} group");
    }

    [Fact]
    public async Task Every_permission_is_a_policy_and_no_role_is()
    {
        var policies = app.Services.GetRequiredService<IAuthorizationPolicyProvider>();
        foreach (var permission in Enum.GetValues<Permission>())
        {
            var policy = await policies.GetPolicyAsync(Permissions.PolicyOf(permission));
            policy.ShouldNotBeNull(permission.ToString());
            policy.Requirements.OfType<PermissionRequirement>().Single().Permission.ShouldBe(permission);
        }

        foreach (var role in Enum.GetValues<Role>())
        {
            (await policies.GetPolicyAsync(role.ToWire())).ShouldBeNull($"role {role} is not a policy");
        }

        (await policies.GetPolicyAsync(StaffRequirement.Policy)).ShouldNotBeNull();
    }

    [Fact]
    public async Task The_staff_policy_admits_staff_users_only_and_follows_the_database()
    {
        var caller = await app.Anonymous().RegisterAsync();

        (await AuthorizeStaffAsync(caller.UserId)).ShouldBeFalse();
        await SetStaffAsync(caller.UserId, true);
        (await AuthorizeStaffAsync(caller.UserId)).ShouldBeTrue();
        await SetStaffAsync(caller.UserId, false);
        (await AuthorizeStaffAsync(caller.UserId)).ShouldBeFalse("revoking takes effect at once");
    }

    private async Task<bool> AuthorizeStaffAsync(Guid userId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().SetUser(userId);
        var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", userId.ToString())], BearerAuthentication.SchemeName));
        var result = await scope.ServiceProvider.GetRequiredService<IAuthorizationService>().AuthorizeAsync(user, null, StaffRequirement.Policy);
        return result.Succeeded;
    }

    private async Task SetStaffAsync(Guid userId, bool staff)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<CoditectDbContext>().Set<User>().Where(u => u.Id == userId)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.IsStaff, staff));
    }
}

using System.Net;
using System.Net.Http.Json;
using Coditect.Contracts.Billing;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Billing;

public static class BillingSteps
{
    public static Task<UsageOverview> UsageAsync(this Caller caller) => caller.Client.GetJsonAsync<UsageOverview>($"{caller.OrgPath}/usage");

    public static QuotaUsage Quota(this UsageOverview usage, string quota) => usage.Quotas.Single(q => q.Quota == quota);

    public static Task<HttpResponseMessage> SetPlanAsync(this Caller staff, Guid organizationId, string? plan, DateTime? periodEnd = null, int? seats = null) =>
        staff.Client.Http.PutAsJsonAsync($"/api/v1/staff/organizations/{organizationId}/billing", new SetPlanRequest(plan, periodEnd, seats), Client.Json);

    public static async Task<BillingResponse> SetPlanOkAsync(this Caller staff, Guid organizationId, string? plan, DateTime? periodEnd = null, int? seats = null) =>
        await (await staff.SetPlanAsync(organizationId, plan, periodEnd, seats)).ReadAsync<BillingResponse>(HttpStatusCode.OK);

    /// <summary>Asserts 402 QUOTA_EXCEEDED with its members.</summary>
    public static async Task ShouldBeOverQuotaAsync(this HttpResponseMessage response, string quota, long limit, long used, string plan)
    {
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.PaymentRequired, Contracts.Common.ProblemCodes.QuotaExceeded);
        problem.GetProperty("quota").GetString().ShouldBe(quota);
        problem.GetProperty("limit").GetInt64().ShouldBe(limit);
        problem.GetProperty("used").GetInt64().ShouldBe(used);
        problem.GetProperty("plan").GetString().ShouldBe(plan);
    }
}

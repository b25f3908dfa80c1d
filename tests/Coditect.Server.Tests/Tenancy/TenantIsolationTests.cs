using System.Net;
using System.Net.Http.Json;
using Coditect.Contracts.Audit;
using Coditect.Contracts.Common;
using Coditect.Contracts.Organizations;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Tenancy;

/// <summary>Another tenant's organization and objects answer 404: never 403, never the object.</summary>
public abstract class TenantIsolationTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    // One body for every write: each endpoint reads the fields it knows and ignores the rest.
    private static readonly object AnyBody = new { name = "Hijacked", role = "viewer", email = "hijack@example.com" };

    [Theory]
    [MemberData(nameof(TenantEndpoints.All), MemberType = typeof(TenantEndpoints))]
    public async Task Another_tenants_organization_answers_404_by_slug_and_by_id(string method, string path)
    {
        var a = await TenantAsync();
        var b = await TenantAsync();

        foreach (var prober in new[] { a.Owner.Client, a.Member.Client, _anonymous.WithBearer(a.ApiKey) })
        {
            foreach (var org in new[] { b.Owner.OrgSlug, b.Owner.OrgId.ToString() })
            {
                var response = await SendAsync(prober, method, $"/api/v1/orgs/{org}{b.Fill(path)}");
                await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.OrgNotFound);
            }
        }

        await b.ShouldBeUntouchedAsync();
    }

    [Theory]
    [InlineData("PATCH", "/members/{member}", ProblemCodes.MemberNotFound)]
    [InlineData("DELETE", "/members/{member}", ProblemCodes.MemberNotFound)]
    [InlineData("DELETE", "/members/{owner}", ProblemCodes.MemberNotFound)]
    [InlineData("DELETE", "/invitations/{invitation}", ProblemCodes.InvitationNotFound)]
    [InlineData("DELETE", "/api-keys/{api_key}", ProblemCodes.ApiKeyNotFound)]
    public async Task Another_tenants_object_ids_answer_404_inside_my_organization(string method, string path, string code)
    {
        var a = await TenantAsync();
        var b = await TenantAsync();

        foreach (var prober in new[] { a.Owner.Client, _anonymous.WithBearer(a.ApiKey) })
        {
            var response = await SendAsync(prober, method, $"{a.Owner.OrgPath}{b.Fill(path)}");
            await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, code);
        }

        await b.ShouldBeUntouchedAsync();
    }

    [Fact]
    public async Task Lists_show_only_my_tenants_rows()
    {
        var a = await TenantAsync();
        var b = await TenantAsync();

        var members = await a.Owner.Client.GetJsonAsync<PagedList<MemberResponse>>($"{a.Owner.OrgPath}/members");
        var invitations = await a.Owner.Client.GetJsonAsync<PagedList<InvitationResponse>>($"{a.Owner.OrgPath}/invitations");
        var keys = await a.Owner.Client.GetJsonAsync<PagedList<ApiKeyResponse>>($"{a.Owner.OrgPath}/api-keys");
        var audit = await a.Owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{a.Owner.OrgPath}/audit-events?page_size=100");
        var auditOfB = await a.Owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>(
            $"{a.Owner.OrgPath}/audit-events?object_id={b.Owner.OrgId}");

        members.Items.Select(m => m.UserId).ShouldBe([a.Owner.UserId, a.Member.UserId], ignoreOrder: true);
        invitations.Items.ShouldHaveSingleItem().Id.ShouldBe(a.InvitationId);
        keys.Items.ShouldHaveSingleItem().Id.ShouldBe(a.ApiKeyId);
        audit.Items.ShouldNotBeEmpty();
        audit.Items.ShouldAllBe(e => e.ObjectId != b.Owner.OrgId.ToString() && e.ObjectId != b.InvitationId.ToString()
            && e.ObjectId != b.ApiKeyId.ToString());
        auditOfB.Items.ShouldBeEmpty();
        auditOfB.Total.ShouldBe(0);
    }

    [Fact]
    public async Task An_api_key_lists_only_its_own_organization()
    {
        var a = await TenantAsync();
        var b = await TenantAsync();

        var mine = await _anonymous.WithBearer(a.ApiKey).GetJsonAsync<PagedList<OrganizationResponse>>("/api/v1/orgs");

        mine.Items.ShouldHaveSingleItem().Id.ShouldBe(a.Owner.OrgId);
        mine.Items.ShouldNotContain(o => o.Id == b.Owner.OrgId);
    }

    private async Task<Tenant> TenantAsync()
    {
        var owner = await _anonymous.RegisterAsync();
        var member = await owner.AddMemberAsync("member");
        var invitation = await (await owner.Client.PostAsync($"{owner.OrgPath}/invitations",
            new CreateInvitationRequest($"pending-{Guid.NewGuid():N}@example.com", "viewer"))).ReadAsync<InvitationResponse>(HttpStatusCode.Created);
        var key = await owner.CreateApiKeyAsync("admin");
        return new Tenant(owner, member, invitation.Id, key.Id, key.Key!);
    }

    private static async Task<HttpResponseMessage> SendAsync(Client client, string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "POST" or "PATCH")
        {
            request.Content = JsonContent.Create(AnyBody, options: Client.Json);
        }

        return await client.Http.SendAsync(request);
    }

    private sealed record Tenant(Caller Owner, Caller Member, Guid InvitationId, Guid ApiKeyId, string ApiKey)
    {
        public string Fill(string path) => path
            .Replace("{member}", Member.UserId.ToString(), StringComparison.Ordinal)
            .Replace("{owner}", Owner.UserId.ToString(), StringComparison.Ordinal)
            .Replace("{invitation}", InvitationId.ToString(), StringComparison.Ordinal)
            .Replace("{api_key}", ApiKeyId.ToString(), StringComparison.Ordinal);

        /// <summary>The probed tenant kept its name, members, invitation and working API key.</summary>
        public async Task ShouldBeUntouchedAsync()
        {
            var org = await Owner.Client.GetJsonAsync<OrganizationResponse>(Owner.OrgPath);
            org.Name.ShouldNotBe("Hijacked");
            var members = await Owner.Client.GetJsonAsync<PagedList<MemberResponse>>($"{Owner.OrgPath}/members");
            members.Items.Select(m => (m.UserId, m.Role)).ShouldBe([(Owner.UserId, "owner"), (Member.UserId, "member")]);
            var invitations = await Owner.Client.GetJsonAsync<PagedList<InvitationResponse>>($"{Owner.OrgPath}/invitations");
            invitations.Items.ShouldHaveSingleItem().Id.ShouldBe(InvitationId);
            var keys = await Owner.Client.GetJsonAsync<PagedList<ApiKeyResponse>>($"{Owner.OrgPath}/api-keys");
            keys.Items.ShouldHaveSingleItem().RevokedAt.ShouldBeNull();
        }
    }
}

/// <summary>Every tenant-scoped endpoint, as method and path under <c>/api/v1/orgs/{org}</c>.</summary>
public static class TenantEndpoints
{
    public static TheoryData<string, string> All => new()
    {
        { "GET", "" },
        { "PATCH", "" },
        { "DELETE", "" },
        { "GET", "/members" },
        { "PATCH", "/members/{member}" },
        { "DELETE", "/members/{member}" },
        { "DELETE", "/members/{owner}" },
        { "GET", "/invitations" },
        { "POST", "/invitations" },
        { "DELETE", "/invitations/{invitation}" },
        { "GET", "/api-keys" },
        { "POST", "/api-keys" },
        { "DELETE", "/api-keys/{api_key}" },
        { "GET", "/audit-events" },
    };
}

public sealed class TenantIsolationTestsOnSqlite(SqliteApp app) : TenantIsolationTests<SqliteApp>(app);

public sealed class TenantIsolationTestsOnPostgres(PostgresApp app) : TenantIsolationTests<PostgresApp>(app);

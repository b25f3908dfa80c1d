using System.Net;
using Coditect.Contracts.Common;
using Coditect.Contracts.Identity;
using Coditect.Contracts.Organizations;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Organizations;

/// <summary>The rules that races could break: unique slugs and emails, single-use invitations, the last owner.</summary>
public abstract class ConcurrencyTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private const int Racers = 6;
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task Parallel_creates_with_one_slug_make_one_organization_and_409s()
    {
        var caller = await _anonymous.RegisterAsync();
        var slug = $"race-{Guid.NewGuid():N}"[..20];

        var responses = await Task.WhenAll(Enumerable.Range(0, Racers).Select(i =>
            caller.Client.PostAsync("/api/v1/orgs", new CreateOrganizationRequest($"Racer {i}", slug))));

        responses.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(1);
        foreach (var lost in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
        {
            await lost.ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.SlugTaken);
        }
    }

    [Fact]
    public async Task Parallel_sign_ups_with_one_email_make_one_account_and_409s()
    {
        var email = $"race-{Guid.NewGuid():N}@example.com";

        var responses = await Task.WhenAll(Enumerable.Range(0, Racers).Select(i =>
            _anonymous.PostAsync("/api/v1/auth/register", new RegisterRequest(email, "correct horse battery", "Racer", $"Race Org {i}"))));

        responses.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(1);
        foreach (var lost in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
        {
            await lost.ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.EmailTaken);
        }
    }

    [Fact]
    public async Task Parallel_accepts_of_one_invitation_let_exactly_one_in()
    {
        var owner = await _anonymous.RegisterAsync();
        var invitee = await _anonymous.RegisterAsync();
        var token = await owner.InviteAsync(invitee.Email, "member");

        var responses = await Task.WhenAll(Enumerable.Range(0, Racers).Select(_ =>
            invitee.Client.PostAsync($"/api/v1/invitations/{token}/accept")));

        responses.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(1);
        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK || r.StatusCode == HttpStatusCode.NotFound
            || r.StatusCode == HttpStatusCode.Conflict);
        var members = await owner.Client.GetJsonAsync<PagedList<MemberResponse>>($"{owner.OrgPath}/members");
        members.Items.Count(m => m.UserId == invitee.UserId).ShouldBe(1);
    }

    [Fact]
    public async Task Two_owners_demoting_each_other_at_once_leave_one_owner()
    {
        for (var round = 0; round < 3; round++)
        {
            var first = await _anonymous.RegisterAsync();
            var second = await first.AddMemberAsync("owner");

            var responses = await Task.WhenAll(
                first.Client.PatchAsync($"{first.OrgPath}/members/{second.UserId}", new UpdateMemberRequest("admin")),
                second.Client.PatchAsync($"{first.OrgPath}/members/{first.UserId}", new UpdateMemberRequest("admin")));

            responses.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBeLessThanOrEqualTo(1);
            responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK || r.StatusCode == HttpStatusCode.Conflict
                || r.StatusCode == HttpStatusCode.Forbidden);
            var members = await first.Client.GetJsonAsync<PagedList<MemberResponse>>($"{first.OrgPath}/members");
            members.Items.Count(m => m.Role == "owner").ShouldBe(1);
        }
    }

    [Fact]
    public async Task Two_owners_leaving_at_once_leave_one_owner()
    {
        for (var round = 0; round < 3; round++)
        {
            var first = await _anonymous.RegisterAsync();
            var second = await first.AddMemberAsync("owner");

            var responses = await Task.WhenAll(
                first.Client.DeleteAsync($"{first.OrgPath}/members/{first.UserId}"),
                second.Client.DeleteAsync($"{first.OrgPath}/members/{second.UserId}"));

            responses.Count(r => r.StatusCode == HttpStatusCode.NoContent).ShouldBe(1);
            var stayed = responses[0].StatusCode == HttpStatusCode.NoContent ? second : first;
            await responses.Single(r => r.StatusCode != HttpStatusCode.NoContent).ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.LastOwner);
            (await stayed.Client.GetJsonAsync<OrganizationResponse>(first.OrgPath)).Role.ShouldBe("owner");
        }
    }
}

public sealed class ConcurrencyTestsOnSqlite(SqliteApp app) : ConcurrencyTests<SqliteApp>(app);

public sealed class ConcurrencyTestsOnPostgres(PostgresApp app) : ConcurrencyTests<PostgresApp>(app);

using System.Net;
using Coditect.Contracts.Common;
using Coditect.Contracts.Identity;
using Coditect.Contracts.Organizations;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Organizations;

/// <summary>The role table (Organizations/Roles.cs) as callers meet it.</summary>
public abstract class RoleTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task Viewer_cannot_invite()
    {
        var owner = await _anonymous.RegisterAsync();
        var viewer = await owner.AddMemberAsync("viewer");

        var response = await viewer.Client.PostAsync($"{owner.OrgPath}/invitations", new CreateInvitationRequest("new@example.com", "member"));

        await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
    }

    [Fact]
    public async Task Viewer_and_member_can_read_the_organization_and_its_members()
    {
        var owner = await _anonymous.RegisterAsync();
        var viewer = await owner.AddMemberAsync("viewer");
        var member = await owner.AddMemberAsync("member");

        (await viewer.Client.GetJsonAsync<OrganizationResponse>(owner.OrgPath)).Role.ShouldBe("viewer");
        var members = await member.Client.GetJsonAsync<PagedList<MemberResponse>>($"{owner.OrgPath}/members");
        members.Items.Select(m => (m.UserId, m.Role)).ShouldBe([(owner.UserId, "owner"), (viewer.UserId, "viewer"), (member.UserId, "member")]);
    }

    [Fact]
    public async Task Member_cannot_change_roles()
    {
        var owner = await _anonymous.RegisterAsync();
        var member = await owner.AddMemberAsync("member");
        var viewer = await owner.AddMemberAsync("viewer");

        var response = await member.Client.PatchAsync($"{owner.OrgPath}/members/{viewer.UserId}", new UpdateMemberRequest("admin"));

        await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
        var self = await member.Client.PatchAsync($"{owner.OrgPath}/members/{member.UserId}", new UpdateMemberRequest("admin"));
        await self.ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
    }

    [Fact]
    public async Task Member_cannot_remove_another_member()
    {
        var owner = await _anonymous.RegisterAsync();
        var member = await owner.AddMemberAsync("member");
        var viewer = await owner.AddMemberAsync("viewer");

        var response = await member.Client.DeleteAsync($"{owner.OrgPath}/members/{viewer.UserId}");

        await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
    }

    [Fact]
    public async Task Admin_can_change_a_members_role()
    {
        var owner = await _anonymous.RegisterAsync();
        var admin = await owner.AddMemberAsync("admin");
        var viewer = await owner.AddMemberAsync("viewer");

        var response = await admin.Client.PatchAsync($"{owner.OrgPath}/members/{viewer.UserId}", new UpdateMemberRequest("member"));

        (await response.ReadAsync<MemberResponse>(HttpStatusCode.OK)).Role.ShouldBe("member");
        (await viewer.Client.GetJsonAsync<OrganizationResponse>(owner.OrgPath)).Role.ShouldBe("member");
    }

    [Fact]
    public async Task Admin_cannot_delete_the_organization()
    {
        var owner = await _anonymous.RegisterAsync();
        var admin = await owner.AddMemberAsync("admin");

        var response = await admin.Client.DeleteAsync(owner.OrgPath);

        await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
        (await owner.Client.GetAsync(owner.OrgPath)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Admin_cannot_grant_owner()
    {
        var owner = await _anonymous.RegisterAsync();
        var admin = await owner.AddMemberAsync("admin");
        var member = await owner.AddMemberAsync("member");

        var promote = await admin.Client.PatchAsync($"{owner.OrgPath}/members/{member.UserId}", new UpdateMemberRequest("owner"));
        var invite = await admin.Client.PostAsync($"{owner.OrgPath}/invitations", new CreateInvitationRequest("boss@example.com", "owner"));

        await promote.ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
        await invite.ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
        (await member.Client.GetJsonAsync<OrganizationResponse>(owner.OrgPath)).Role.ShouldBe("member");
    }

    [Fact]
    public async Task Admin_cannot_demote_or_remove_an_owner()
    {
        var owner = await _anonymous.RegisterAsync();
        var admin = await owner.AddMemberAsync("admin");

        var demote = await admin.Client.PatchAsync($"{owner.OrgPath}/members/{owner.UserId}", new UpdateMemberRequest("viewer"));
        var remove = await admin.Client.DeleteAsync($"{owner.OrgPath}/members/{owner.UserId}");

        await demote.ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
        await remove.ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
    }

    [Fact]
    public async Task Patch_with_an_unknown_role_answers_400_naming_role()
    {
        var owner = await _anonymous.RegisterAsync();
        var member = await owner.AddMemberAsync("member");

        var response = await owner.Client.PatchAsync($"{owner.OrgPath}/members/{member.UserId}", new UpdateMemberRequest("Admin"));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        problem.GetProperty("errors").TryGetProperty("role", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Last_owner_cannot_leave()
    {
        var owner = await _anonymous.RegisterAsync();

        var response = await owner.Client.DeleteAsync($"{owner.OrgPath}/members/{owner.UserId}");

        await response.ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.LastOwner);
        (await owner.Client.GetAsync(owner.OrgPath)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Last_owner_cannot_be_demoted()
    {
        var owner = await _anonymous.RegisterAsync();

        var response = await owner.Client.PatchAsync($"{owner.OrgPath}/members/{owner.UserId}", new UpdateMemberRequest("admin"));

        await response.ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.LastOwner);
        (await owner.Client.GetJsonAsync<OrganizationResponse>(owner.OrgPath)).Role.ShouldBe("owner");
    }

    [Fact]
    public async Task With_two_owners_one_can_leave_and_then_the_other_is_the_last()
    {
        var owner = await _anonymous.RegisterAsync();
        var second = await owner.AddMemberAsync("owner");

        (await owner.Client.DeleteAsync($"{owner.OrgPath}/members/{owner.UserId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await (await owner.Client.GetAsync(owner.OrgPath)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.OrgNotFound);
        var alone = await second.Client.DeleteAsync($"{owner.OrgPath}/members/{second.UserId}");
        await alone.ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.LastOwner);
    }

    [Fact]
    public async Task With_two_owners_one_can_demote_the_other()
    {
        var owner = await _anonymous.RegisterAsync();
        var second = await owner.AddMemberAsync("owner");

        var response = await second.Client.PatchAsync($"{owner.OrgPath}/members/{owner.UserId}", new UpdateMemberRequest("admin"));

        (await response.ReadAsync<MemberResponse>(HttpStatusCode.OK)).Role.ShouldBe("admin");
    }

    [Theory]
    [InlineData("viewer")]
    [InlineData("member")]
    [InlineData("admin")]
    public async Task Members_can_leave_themselves(string role)
    {
        var owner = await _anonymous.RegisterAsync();
        var person = await owner.AddMemberAsync(role);

        (await person.Client.DeleteAsync($"{owner.OrgPath}/members/{person.UserId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await (await person.Client.GetAsync(owner.OrgPath)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.OrgNotFound);
        (await person.Client.GetJsonAsync<MeResponse>("/api/v1/me")).Organizations.ShouldNotContain(o => o.Id == owner.OrgId);
    }

    [Fact]
    public async Task Owner_can_remove_a_member()
    {
        var owner = await _anonymous.RegisterAsync();
        var member = await owner.AddMemberAsync("member");

        (await owner.Client.DeleteAsync($"{owner.OrgPath}/members/{member.UserId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var members = await owner.Client.GetJsonAsync<PagedList<MemberResponse>>($"{owner.OrgPath}/members");
        members.Items.ShouldHaveSingleItem().UserId.ShouldBe(owner.UserId);
        await (await owner.Client.DeleteAsync($"{owner.OrgPath}/members/{member.UserId}"))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.MemberNotFound);
    }
}

public sealed class RoleTestsOnSqlite(SqliteApp app) : RoleTests<SqliteApp>(app);

public sealed class RoleTestsOnPostgres(PostgresApp app) : RoleTests<PostgresApp>(app);

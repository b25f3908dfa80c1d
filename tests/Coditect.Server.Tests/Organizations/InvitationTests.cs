using System.Net;
using Coditect.Contracts.Common;
using Coditect.Contracts.Identity;
using Coditect.Contracts.Organizations;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Organizations;

public abstract class InvitationTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Theory]
    [InlineData("owner")]
    [InlineData("admin")]
    public async Task Owner_and_admin_create_an_invitation_with_a_single_use_token(string inviterRole)
    {
        var owner = await _anonymous.RegisterAsync();
        var inviter = inviterRole == "owner" ? owner : await owner.AddMemberAsync(inviterRole);

        var response = await inviter.Client.PostAsync($"{owner.OrgPath}/invitations", new CreateInvitationRequest(" New.Person@Example.com ", "member"));

        var invitation = await response.ReadAsync<InvitationResponse>(HttpStatusCode.Created);
        invitation.Token.ShouldNotBeNullOrWhiteSpace();
        invitation.Email.ShouldBe("new.person@example.com");
        invitation.Role.ShouldBe("member");
        invitation.ExpiresAt.ShouldBeGreaterThan(app.Clock.GetUtcNow().UtcDateTime.AddDays(6));
        var pending = await inviter.Client.GetJsonAsync<PagedList<InvitationResponse>>($"{owner.OrgPath}/invitations");
        pending.Items.ShouldContain(i => i.Id == invitation.Id && i.Token == null);
    }

    [Fact]
    public async Task Member_cannot_invite()
    {
        var owner = await _anonymous.RegisterAsync();
        var member = await owner.AddMemberAsync("member");

        var response = await member.Client.PostAsync($"{owner.OrgPath}/invitations", new CreateInvitationRequest("x@example.com", "viewer"));

        await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
    }

    [Fact]
    public async Task Create_with_a_bad_email_or_role_names_the_fields()
    {
        var owner = await _anonymous.RegisterAsync();

        var response = await owner.Client.PostAsync($"{owner.OrgPath}/invitations", new CreateInvitationRequest("not an email", "boss"));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        problem.GetProperty("errors").TryGetProperty("email", out _).ShouldBeTrue();
        problem.GetProperty("errors").TryGetProperty("role", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task The_signed_in_invitee_accepts_and_becomes_a_member_with_the_invited_role()
    {
        var owner = await _anonymous.RegisterAsync();
        var invitee = await _anonymous.RegisterAsync();
        var token = await owner.InviteAsync(invitee.Email.ToUpperInvariant(), "admin");

        var response = await invitee.Client.PostAsync($"/api/v1/invitations/{token}/accept");

        var joined = await response.ReadAsync<MyOrganization>(HttpStatusCode.OK);
        joined.Id.ShouldBe(owner.OrgId);
        joined.Role.ShouldBe("admin");
        var me = await invitee.Client.GetJsonAsync<MeResponse>("/api/v1/me");
        me.Organizations.ShouldContain(o => o.Id == owner.OrgId && o.Role == "admin");
        var members = await owner.Client.GetJsonAsync<PagedList<MemberResponse>>($"{owner.OrgPath}/members");
        members.Items.ShouldContain(m => m.UserId == invitee.UserId && m.Role == "admin");
        var pending = await owner.Client.GetJsonAsync<PagedList<InvitationResponse>>($"{owner.OrgPath}/invitations");
        pending.Items.ShouldBeEmpty();
    }

    [Fact]
    public async Task Accepting_twice_answers_404_INVITATION_NOT_FOUND()
    {
        var owner = await _anonymous.RegisterAsync();
        var invitee = await _anonymous.RegisterAsync();
        var token = await owner.InviteAsync(invitee.Email, "member");

        (await invitee.Client.PostAsync($"/api/v1/invitations/{token}/accept")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var again = await invitee.Client.PostAsync($"/api/v1/invitations/{token}/accept");

        await again.ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.InvitationNotFound);
    }

    [Fact]
    public async Task Another_user_cannot_accept_it_403_INVITATION_NOT_FOR_YOU()
    {
        var owner = await _anonymous.RegisterAsync();
        var invitee = await _anonymous.RegisterAsync();
        var intruder = await _anonymous.RegisterAsync();
        var token = await owner.InviteAsync(invitee.Email, "admin");

        var response = await intruder.Client.PostAsync($"/api/v1/invitations/{token}/accept");

        await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.InvitationNotForYou);
        await (await intruder.Client.GetAsync(owner.OrgPath)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.OrgNotFound);
        (await invitee.Client.PostAsync($"/api/v1/invitations/{token}/accept")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_unknown_token_answers_404_INVITATION_NOT_FOUND()
    {
        var invitee = await _anonymous.RegisterAsync();

        var response = await invitee.Client.PostAsync("/api/v1/invitations/cdi_not-a-real-token/accept");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.InvitationNotFound);
    }

    [Fact]
    public async Task Accepting_needs_a_signed_in_user()
    {
        var owner = await _anonymous.RegisterAsync();
        var token = await owner.InviteAsync("someone@example.com", "member");

        await (await _anonymous.PostAsync($"/api/v1/invitations/{token}/accept")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.Unauthorized);
    }

    [Fact]
    public async Task Inviting_a_member_answers_409_ALREADY_MEMBER()
    {
        var owner = await _anonymous.RegisterAsync();
        var member = await owner.AddMemberAsync("member");

        var response = await owner.Client.PostAsync($"{owner.OrgPath}/invitations", new CreateInvitationRequest(member.Email, "admin"));

        await response.ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.AlreadyMember);
    }

    [Fact]
    public async Task Accepting_a_second_invitation_when_already_a_member_answers_409_ALREADY_MEMBER()
    {
        var owner = await _anonymous.RegisterAsync();
        var invitee = await _anonymous.RegisterAsync();
        var first = await owner.InviteAsync(invitee.Email, "viewer");
        var second = await owner.InviteAsync(invitee.Email, "admin");

        (await invitee.Client.PostAsync($"/api/v1/invitations/{first}/accept")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var response = await invitee.Client.PostAsync($"/api/v1/invitations/{second}/accept");

        await response.ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.AlreadyMember);
        (await invitee.Client.GetJsonAsync<OrganizationResponse>(owner.OrgPath)).Role.ShouldBe("viewer");
    }

    [Fact]
    public async Task A_revoked_invitation_cannot_be_accepted()
    {
        var owner = await _anonymous.RegisterAsync();
        var invitee = await _anonymous.RegisterAsync();
        var created = await (await owner.Client.PostAsync($"{owner.OrgPath}/invitations", new CreateInvitationRequest(invitee.Email, "member")))
            .ReadAsync<InvitationResponse>(HttpStatusCode.Created);

        (await owner.Client.DeleteAsync($"{owner.OrgPath}/invitations/{created.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await (await invitee.Client.PostAsync($"/api/v1/invitations/{created.Token}/accept"))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.InvitationNotFound);
        await (await owner.Client.DeleteAsync($"{owner.OrgPath}/invitations/{created.Id}"))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.InvitationNotFound);
    }

    [Fact]
    public async Task A_new_person_registers_with_the_invitation_token_and_joins_with_the_invited_role()
    {
        var owner = await _anonymous.RegisterAsync();
        var email = $"newcomer-{Guid.NewGuid():N}@example.com";
        var token = await owner.InviteAsync(email, "admin");

        var response = await _anonymous.PostAsync("/api/v1/auth/register",
            new RegisterRequest(email.ToUpperInvariant(), "correct horse battery staple", "Newcomer", null, token));

        var tokens = await response.ReadAsync<TokenResponse>(HttpStatusCode.Created);
        tokens.Organization!.Id.ShouldBe(owner.OrgId, "no organization of their own: the invitation's");
        var newcomer = _anonymous.WithBearer(tokens.AccessToken);
        var me = await newcomer.GetJsonAsync<MeResponse>("/api/v1/me");
        me.Organizations.ShouldHaveSingleItem().ShouldBe(new MyOrganization(owner.OrgId, owner.OrgSlug, tokens.Organization.Name, "admin"));
        (await owner.Client.GetJsonAsync<PagedList<InvitationResponse>>($"{owner.OrgPath}/invitations")).Items.ShouldBeEmpty();
        await (await newcomer.PostAsync($"/api/v1/invitations/{token}/accept"))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.InvitationNotFound);
    }

    [Fact]
    public async Task Registering_with_an_invitation_for_another_email_or_a_spent_one_creates_no_account()
    {
        var owner = await _anonymous.RegisterAsync();
        var invited = $"invited-{Guid.NewGuid():N}@example.com";
        var other = $"other-{Guid.NewGuid():N}@example.com";
        var token = await owner.InviteAsync(invited, "member");

        var wrongEmail = await _anonymous.PostAsync("/api/v1/auth/register", new RegisterRequest(other, "correct horse battery staple", "Other", null, token));
        var unknown = await _anonymous.PostAsync("/api/v1/auth/register",
            new RegisterRequest(invited, "correct horse battery staple", "Invited", null, "cdi_not-a-real-token"));
        var both = await _anonymous.PostAsync("/api/v1/auth/register",
            new RegisterRequest(invited, "correct horse battery staple", "Invited", "Own Org", token));

        await wrongEmail.ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.InvitationNotForYou);
        await unknown.ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.InvitationNotFound);
        var problem = await both.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        problem.GetProperty("errors").TryGetProperty("invitation_token", out _).ShouldBeTrue();
        foreach (var email in new[] { invited, other })
        {
            await (await _anonymous.PostAsync("/api/v1/auth/login", new LoginRequest(email, "correct horse battery staple")))
                .ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.InvalidCredentials);
        }

        (await _anonymous.PostAsync("/api/v1/auth/register", new RegisterRequest(invited, "correct horse battery staple", "Invited", null, token)))
            .StatusCode.ShouldBe(HttpStatusCode.Created, "the invitation is still good for the invited address");
    }

    [Fact]
    public async Task An_expired_invitation_answers_404()
    {
        var owner = await _anonymous.RegisterAsync();
        var invitee = await _anonymous.RegisterAsync();
        var token = await owner.InviteAsync(invitee.Email, "member");
        var later = TimeSpan.FromDays(8);

        app.Clock.Advance(later);
        // Access tokens last an hour: sign in again at the later time.
        var login = await _anonymous.PostAsync("/api/v1/auth/login", new LoginRequest(invitee.Email, invitee.Password));
        var tokens = await login.ReadAsync<TokenResponse>(HttpStatusCode.OK);

        var response = await _anonymous.WithBearer(tokens.AccessToken).PostAsync($"/api/v1/invitations/{token}/accept");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.InvitationNotFound);
    }
}

public sealed class InvitationTestsOnSqlite(SqliteApp app) : InvitationTests<SqliteApp>(app);

public sealed class InvitationTestsOnPostgres(PostgresApp app) : InvitationTests<PostgresApp>(app);

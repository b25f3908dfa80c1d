using System.Net;
using Coditect.Contracts.Common;
using Coditect.Contracts.Organizations;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Organizations;

public abstract class ApiKeyTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task Create_shows_the_key_once_and_it_starts_with_cdk()
    {
        var owner = await _anonymous.RegisterAsync();

        var response = await owner.Client.PostAsync($"{owner.OrgPath}/api-keys", new CreateApiKeyRequest("deploy bot", "admin"));

        var created = await response.ReadAsync<ApiKeyResponse>(HttpStatusCode.Created);
        created.Key.ShouldNotBeNull();
        created.Key.ShouldStartWith("cdk_");
        created.Key.Length.ShouldBeGreaterThan(40);
        created.Key.ShouldStartWith(created.Prefix);
        created.Name.ShouldBe("deploy bot");
        created.Role.ShouldBe("admin");
        created.RevokedAt.ShouldBeNull();
    }

    [Fact]
    public async Task Listing_never_shows_the_key_again()
    {
        var owner = await _anonymous.RegisterAsync();
        var created = await owner.CreateApiKeyAsync("member");

        var response = await owner.Client.GetAsync($"{owner.OrgPath}/api-keys");

        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        body.ShouldNotContain(created.Key!);
        var listed = System.Text.Json.JsonSerializer.Deserialize<PagedList<ApiKeyResponse>>(body, Client.Json)!;
        var item = listed.Items.ShouldHaveSingleItem();
        item.Id.ShouldBe(created.Id);
        item.Key.ShouldBeNull();
        item.Prefix.ShouldBe(created.Prefix);
    }

    [Fact]
    public async Task A_key_works_as_a_bearer_credential_on_its_own_organization()
    {
        var owner = await _anonymous.RegisterAsync();
        var key = await owner.CreateApiKeyAsync("admin");
        var bot = _anonymous.WithBearer(key.Key!);

        var org = await bot.GetJsonAsync<OrganizationResponse>(owner.OrgPath);
        var byId = await bot.GetJsonAsync<OrganizationResponse>($"/api/v1/orgs/{owner.OrgId}");
        var members = await bot.GetJsonAsync<PagedList<MemberResponse>>($"{owner.OrgPath}/members");
        var mine = await bot.GetJsonAsync<PagedList<OrganizationResponse>>("/api/v1/orgs");

        org.Id.ShouldBe(owner.OrgId);
        org.Role.ShouldBe("admin");
        byId.Id.ShouldBe(owner.OrgId);
        members.Items.ShouldHaveSingleItem().UserId.ShouldBe(owner.UserId);
        mine.Items.ShouldHaveSingleItem().Id.ShouldBe(owner.OrgId);
        var invite = await bot.PostAsync($"{owner.OrgPath}/invitations", new CreateInvitationRequest("from-bot@example.com", "member"));
        invite.StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_key_acts_with_its_own_role_not_its_creators()
    {
        var owner = await _anonymous.RegisterAsync();
        var key = await owner.CreateApiKeyAsync("viewer");
        var bot = _anonymous.WithBearer(key.Key!);

        (await bot.GetJsonAsync<OrganizationResponse>(owner.OrgPath)).Role.ShouldBe("viewer");
        await (await bot.PostAsync($"{owner.OrgPath}/invitations", new CreateInvitationRequest("x@example.com", "member")))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
        await (await bot.DeleteAsync(owner.OrgPath)).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
    }

    [Fact]
    public async Task A_revoked_key_answers_401()
    {
        var owner = await _anonymous.RegisterAsync();
        var key = await owner.CreateApiKeyAsync("admin");
        var bot = _anonymous.WithBearer(key.Key!);
        (await bot.GetAsync(owner.OrgPath)).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await owner.Client.DeleteAsync($"{owner.OrgPath}/api-keys/{key.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await (await bot.GetAsync(owner.OrgPath)).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.Unauthorized);
        var listed = await owner.Client.GetJsonAsync<PagedList<ApiKeyResponse>>($"{owner.OrgPath}/api-keys");
        listed.Items.ShouldHaveSingleItem().RevokedAt.ShouldNotBeNull();
    }

    [Fact]
    public async Task Revoking_an_unknown_key_answers_404_API_KEY_NOT_FOUND()
    {
        var owner = await _anonymous.RegisterAsync();

        var response = await owner.Client.DeleteAsync($"{owner.OrgPath}/api-keys/{Guid.NewGuid()}");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.ApiKeyNotFound);
    }

    [Fact]
    public async Task A_key_cannot_have_a_stronger_role_than_its_creator()
    {
        var owner = await _anonymous.RegisterAsync();
        var admin = await owner.AddMemberAsync("admin");

        var asOwner = await admin.Client.PostAsync($"{owner.OrgPath}/api-keys", new CreateApiKeyRequest("too strong", "owner"));
        var asAdmin = await admin.Client.PostAsync($"{owner.OrgPath}/api-keys", new CreateApiKeyRequest("equal", "admin"));

        await asOwner.ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
        asAdmin.StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task An_admin_key_cannot_mint_an_owner_key()
    {
        var owner = await _anonymous.RegisterAsync();
        var key = await owner.CreateApiKeyAsync("admin");

        var response = await _anonymous.WithBearer(key.Key!).PostAsync($"{owner.OrgPath}/api-keys", new CreateApiKeyRequest("escalate", "owner"));

        await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
    }

    [Fact]
    public async Task Members_cannot_manage_api_keys()
    {
        var owner = await _anonymous.RegisterAsync();
        var member = await owner.AddMemberAsync("member");

        await (await member.Client.PostAsync($"{owner.OrgPath}/api-keys", new CreateApiKeyRequest("mine", "viewer")))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
        await (await member.Client.GetAsync($"{owner.OrgPath}/api-keys")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
    }

    [Fact]
    public async Task A_key_cannot_call_me_or_create_organizations_USER_TOKEN_REQUIRED()
    {
        var owner = await _anonymous.RegisterAsync();
        var key = await owner.CreateApiKeyAsync("owner");
        var bot = _anonymous.WithBearer(key.Key!);

        await (await bot.GetAsync("/api/v1/me")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.UserTokenRequired);
        await (await bot.PostAsync("/api/v1/orgs", new CreateOrganizationRequest("Bot Org", null)))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.UserTokenRequired);
    }

    [Fact]
    public async Task A_key_cannot_accept_an_invitation()
    {
        var owner = await _anonymous.RegisterAsync();
        var key = await owner.CreateApiKeyAsync("owner");
        var token = await owner.InviteAsync("someone@example.com", "member");

        var response = await _anonymous.WithBearer(key.Key!).PostAsync($"/api/v1/invitations/{token}/accept");

        await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.UserTokenRequired);
    }

    [Fact]
    public async Task Api_keys_and_invitation_tokens_never_reach_the_logs()
    {
        var owner = await _anonymous.RegisterAsync();
        var key = await owner.CreateApiKeyAsync("admin");
        var invitee = await _anonymous.RegisterAsync();
        await _anonymous.WithBearer(key.Key!).GetAsync(owner.OrgPath);
        await _anonymous.WithBearer(key.Key!).GetAsync("/api/v1/me");
        var token = await owner.InviteAsync(invitee.Email, "member");
        await invitee.Client.PostAsync($"/api/v1/invitations/{token}/accept");
        await invitee.Client.PostAsync($"/api/v1/invitations/{token}/accept");

        var logs = string.Join('\n', app.LogSink.Lines);
        logs.ShouldNotContain(key.Key![4..]);
        logs.ShouldNotContain(token[4..]);
    }

    [Fact]
    public async Task A_made_up_key_answers_401()
    {
        var response = await _anonymous.WithBearer("cdk_" + new string('a', 43)).GetAsync("/api/v1/orgs");

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.Unauthorized);
    }

    [Fact]
    public async Task A_removed_creators_keys_stop_at_once_with_their_own_code_even_keys_minted_by_a_key()
    {
        var owner = await _anonymous.RegisterAsync();
        var admin = await owner.AddMemberAsync("admin");
        var key = await KeyInAsync(admin, owner, "admin");
        var bot = _anonymous.WithBearer(key.Key!);
        var minted = await bot.PostAsync($"{owner.OrgPath}/api-keys", new CreateApiKeyRequest("minted", "member"));
        var mintedKey = await minted.ReadAsync<ApiKeyResponse>(HttpStatusCode.Created);
        (await bot.GetAsync(owner.OrgPath)).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await owner.Client.DeleteAsync($"{owner.OrgPath}/members/{admin.UserId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await (await bot.GetAsync(owner.OrgPath)).ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.ApiKeyAuthorityLost);
        await (await bot.PostAsync($"{owner.OrgPath}/api-keys", new CreateApiKeyRequest("more", "admin")))
            .ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.ApiKeyAuthorityLost);
        await (await _anonymous.WithBearer(mintedKey.Key!).GetAsync(owner.OrgPath))
            .ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.ApiKeyAuthorityLost);
    }

    [Fact]
    public async Task A_demoted_creators_keys_above_the_new_role_stop_and_the_others_keep_working()
    {
        var owner = await _anonymous.RegisterAsync();
        var admin = await owner.AddMemberAsync("admin");
        var adminKey = await KeyInAsync(admin, owner, "admin");
        var viewerKey = await KeyInAsync(admin, owner, "viewer");

        (await owner.Client.PatchAsync($"{owner.OrgPath}/members/{admin.UserId}", new UpdateMemberRequest("member")))
            .StatusCode.ShouldBe(HttpStatusCode.OK);

        await (await _anonymous.WithBearer(adminKey.Key!).GetAsync(owner.OrgPath))
            .ShouldBeProblemAsync(HttpStatusCode.Unauthorized, ProblemCodes.ApiKeyAuthorityLost);
        (await _anonymous.WithBearer(viewerKey.Key!).GetJsonAsync<OrganizationResponse>(owner.OrgPath)).Role.ShouldBe("viewer");

        (await owner.Client.PatchAsync($"{owner.OrgPath}/members/{admin.UserId}", new UpdateMemberRequest("admin")))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        (await _anonymous.WithBearer(adminKey.Key!).GetJsonAsync<OrganizationResponse>(owner.OrgPath)).Role.ShouldBe("admin", "restored with the role");
    }

    /// <summary><paramref name="creator"/> makes a key in <paramref name="owner"/>'s organization.</summary>
    private static async Task<ApiKeyResponse> KeyInAsync(Caller creator, Caller owner, string role)
    {
        var response = await creator.Client.PostAsync($"{owner.OrgPath}/api-keys", new CreateApiKeyRequest($"{role} key", role));
        return await response.ReadAsync<ApiKeyResponse>(HttpStatusCode.Created);
    }
}

public sealed class ApiKeyTestsOnSqlite(SqliteApp app) : ApiKeyTests<SqliteApp>(app);

public sealed class ApiKeyTestsOnPostgres(PostgresApp app) : ApiKeyTests<PostgresApp>(app);

using System.Net;
using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.Identity;
using Coditect.Contracts.Organizations;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.Organizations;

public abstract class OrganizationTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task Create_answers_201_with_a_slug_from_the_name_and_the_creator_as_owner()
    {
        var caller = await _anonymous.RegisterAsync();
        var name = $"Blue Harbor {Guid.NewGuid():N}"[..20];

        var response = await caller.Client.PostAsync("/api/v1/orgs", new CreateOrganizationRequest(name, null));

        var created = await response.ReadAsync<OrganizationResponse>(HttpStatusCode.Created);
        created.Name.ShouldBe(name);
        created.Slug.ShouldBe(name.ToLowerInvariant().Replace(' ', '-'));
        created.Role.ShouldBe("owner");
        response.Headers.Location!.ToString().ShouldBe($"/api/v1/orgs/{created.Slug}");
        var me = await caller.Client.GetJsonAsync<MeResponse>("/api/v1/me");
        me.Organizations.ShouldContain(o => o.Id == created.Id && o.Role == "owner");
    }

    [Fact]
    public async Task Create_with_a_taken_slug_answers_409_SLUG_TAKEN()
    {
        var first = await _anonymous.RegisterAsync();
        var second = await _anonymous.RegisterAsync();

        var response = await second.Client.PostAsync("/api/v1/orgs", new CreateOrganizationRequest("Copycat", first.OrgSlug));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.SlugTaken);
        problem.GetProperty("field").GetString().ShouldBe("slug");
    }

    [Fact]
    public async Task Create_with_a_generated_slug_that_is_taken_gets_a_free_one()
    {
        var caller = await _anonymous.RegisterAsync();
        var name = $"Twin {Guid.NewGuid():N}"[..16];

        var a = await (await caller.Client.PostAsync("/api/v1/orgs", new CreateOrganizationRequest(name, null))).ReadAsync<OrganizationResponse>(HttpStatusCode.Created);
        var b = await (await caller.Client.PostAsync("/api/v1/orgs", new CreateOrganizationRequest(name, null))).ReadAsync<OrganizationResponse>(HttpStatusCode.Created);

        b.Slug.ShouldNotBe(a.Slug);
        b.Slug.ShouldStartWith(a.Slug + "-");
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("-leading")]
    [InlineData("double--hyphen")]
    [InlineData("under_score")]
    [InlineData("0f8fad5b-d9cb-469f-a165-70867728950e")]
    public async Task Create_with_an_invalid_slug_answers_400_naming_slug(string slug)
    {
        var caller = await _anonymous.RegisterAsync();

        var response = await caller.Client.PostAsync("/api/v1/orgs", new CreateOrganizationRequest("Fine Name", slug));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        problem.GetProperty("errors").TryGetProperty("slug", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Create_without_a_name_answers_400_naming_name()
    {
        var caller = await _anonymous.RegisterAsync();

        var response = await caller.Client.PostAsync("/api/v1/orgs", new CreateOrganizationRequest("  ", null));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        problem.GetProperty("errors").TryGetProperty("name", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task List_mine_is_a_page_of_my_organizations_only()
    {
        var caller = await _anonymous.RegisterAsync();
        var stranger = await _anonymous.RegisterAsync();
        await caller.Client.PostAsync("/api/v1/orgs", new CreateOrganizationRequest("Second One", null));
        await caller.Client.PostAsync("/api/v1/orgs", new CreateOrganizationRequest("Third One", null));

        var response = await caller.Client.GetAsync("/api/v1/orgs?page_size=2");

        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        body.GetProperty("items").GetArrayLength().ShouldBe(2);
        body.GetProperty("page").GetInt32().ShouldBe(1);
        body.GetProperty("page_size").GetInt32().ShouldBe(2);
        body.GetProperty("total").GetInt32().ShouldBe(3);
        body.GetProperty("next_page").GetInt32().ShouldBe(2);
        body.GetProperty("items")[0].GetProperty("id").GetGuid().ShouldBe(caller.OrgId);

        var last = await caller.Client.GetJsonAsync<PagedList<OrganizationResponse>>("/api/v1/orgs?page=2&page_size=2");
        last.Items.ShouldHaveSingleItem().Name.ShouldBe("Third One");
        last.NextPage.ShouldBeNull();
        last.Items.ShouldNotContain(o => o.Id == stranger.OrgId);
    }

    [Fact]
    public async Task Get_finds_the_organization_by_slug_and_by_id()
    {
        var caller = await _anonymous.RegisterAsync();

        var bySlug = await caller.Client.GetJsonAsync<OrganizationResponse>($"/api/v1/orgs/{caller.OrgSlug}");
        var byId = await caller.Client.GetJsonAsync<OrganizationResponse>($"/api/v1/orgs/{caller.OrgId}");
        var byUpperSlug = await caller.Client.GetJsonAsync<OrganizationResponse>($"/api/v1/orgs/{caller.OrgSlug.ToUpperInvariant()}");

        bySlug.Id.ShouldBe(caller.OrgId);
        bySlug.Role.ShouldBe("owner");
        byId.ShouldBe(bySlug);
        byUpperSlug.Id.ShouldBe(caller.OrgId);
    }

    [Fact]
    public async Task Get_of_an_unknown_organization_answers_404_ORG_NOT_FOUND()
    {
        var caller = await _anonymous.RegisterAsync();

        await (await caller.Client.GetAsync("/api/v1/orgs/no-such-org")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.OrgNotFound);
        await (await caller.Client.GetAsync($"/api/v1/orgs/{Guid.NewGuid()}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.OrgNotFound);
    }

    [Fact]
    public async Task Patch_changes_the_name_and_the_slug()
    {
        var caller = await _anonymous.RegisterAsync();
        var newSlug = $"renamed-{Guid.NewGuid():N}"[..20];

        var response = await caller.Client.PatchAsync(caller.OrgPath, new UpdateOrganizationRequest("Renamed Inc", newSlug));

        var updated = await response.ReadAsync<OrganizationResponse>(HttpStatusCode.OK);
        updated.Name.ShouldBe("Renamed Inc");
        updated.Slug.ShouldBe(newSlug);
        (await caller.Client.GetJsonAsync<OrganizationResponse>($"/api/v1/orgs/{newSlug}")).Name.ShouldBe("Renamed Inc");
        await (await caller.Client.GetAsync(caller.OrgPath)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.OrgNotFound);
    }

    [Fact]
    public async Task Patch_with_only_a_name_keeps_the_slug()
    {
        var caller = await _anonymous.RegisterAsync();

        var updated = await (await caller.Client.PatchAsync(caller.OrgPath, new UpdateOrganizationRequest("Only Name", null)))
            .ReadAsync<OrganizationResponse>(HttpStatusCode.OK);

        updated.Name.ShouldBe("Only Name");
        updated.Slug.ShouldBe(caller.OrgSlug);
    }

    [Fact]
    public async Task Patch_to_a_taken_slug_answers_409_SLUG_TAKEN()
    {
        var caller = await _anonymous.RegisterAsync();
        var other = await _anonymous.RegisterAsync();

        var response = await caller.Client.PatchAsync(caller.OrgPath, new UpdateOrganizationRequest(null, other.OrgSlug));

        await response.ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.SlugTaken);
        (await caller.Client.GetJsonAsync<OrganizationResponse>(caller.OrgPath)).Slug.ShouldBe(caller.OrgSlug);
    }

    [Fact]
    public async Task Delete_by_the_owner_removes_the_organization_for_everyone()
    {
        var owner = await _anonymous.RegisterAsync();
        var member = await owner.AddMemberAsync("member");

        (await owner.Client.DeleteAsync(owner.OrgPath)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await (await owner.Client.GetAsync(owner.OrgPath)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.OrgNotFound);
        await (await member.Client.GetAsync($"/api/v1/orgs/{owner.OrgId}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.OrgNotFound);
        (await owner.Client.GetJsonAsync<MeResponse>("/api/v1/me")).Organizations.ShouldBeEmpty();
        (await member.Client.GetJsonAsync<MeResponse>("/api/v1/me")).Organizations.ShouldNotContain(o => o.Id == owner.OrgId);
    }
}

public sealed class OrganizationTestsOnSqlite(SqliteApp app) : OrganizationTests<SqliteApp>(app);

public sealed class OrganizationTestsOnPostgres(PostgresApp app) : OrganizationTests<PostgresApp>(app);

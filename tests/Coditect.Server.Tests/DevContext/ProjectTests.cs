using System.Net;
using Coditect.Contracts.Audit;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.DevContext;

public abstract class ProjectTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    private readonly Client _anonymous = app.Anonymous();

    [Fact]
    public async Task A_project_gets_a_key_and_slug_from_its_name_and_a_second_one_a_numbered_key()
    {
        var owner = await _anonymous.RegisterAsync();
        var first = await owner.CreateProjectAsync("Coditect Platform");
        var second = await owner.CreateProjectAsync("Coditect Platform");

        first.Key.ShouldBe("CP");
        first.Slug.ShouldBe("coditect-platform");
        first.Status.ShouldBe("active");
        first.CreatedBy.ShouldBe(owner.UserId);
        second.Key.ShouldBe("CP2");
        second.Slug.ShouldBe("coditect-platform-2");
        (await owner.CreateProjectAsync("Billing")).Key.ShouldBe("BIL");
    }

    [Theory]
    [InlineData("p", "key")]
    [InlineData("1AB", "key")]
    [InlineData("ABCDEFGHIJK", "key")]
    public async Task A_bad_key_is_400_naming_the_field(string key, string field)
    {
        var owner = await _anonymous.RegisterAsync();
        var response = await owner.Client.PostAsync($"{owner.OrgPath}/projects", new CreateProjectRequest("X", Key: key));
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue();
    }

    [Fact]
    public async Task A_renamed_key_stays_an_alias_that_references_resolve_and_no_other_project_can_take()
    {
        var owner = await _anonymous.RegisterAsync();
        var project = await owner.CreateProjectAsync("Alpha", key: "ALP");
        var list = await owner.CreateListAsync(project.Id);
        var task = await owner.CreateTaskAsync(list.Id, "first");
        task.Reference.ShouldBe("ALP-1");

        var renamed = await (await owner.Client.PatchAsync($"{owner.OrgPath}/projects/{project.Id}", new { key = "ALPHA" }))
            .ReadAsync<ProjectResponse>(HttpStatusCode.OK);
        renamed.Key.ShouldBe("ALPHA");
        renamed.KeyAliases.ShouldBe(["ALP"]);

        (await owner.Client.GetJsonAsync<TaskResponse>($"{owner.OrgPath}/tasks/ALP-1")).Id.ShouldBe(task.Id);
        (await owner.Client.GetJsonAsync<TaskResponse>($"{owner.OrgPath}/tasks/alpha-1")).Reference.ShouldBe("ALPHA-1");
        var taken = await owner.Client.PostAsync($"{owner.OrgPath}/projects", new CreateProjectRequest("Other", Key: "ALP"));
        var problem = await taken.ShouldBeProblemAsync(HttpStatusCode.Conflict, ProblemCodes.ProjectKeyTaken);
        problem.GetProperty("field").GetString().ShouldBe("key");
    }

    [Fact]
    public async Task Another_organizations_project_is_404_for_every_operation()
    {
        var owner = await _anonymous.RegisterAsync();
        var stranger = await _anonymous.RegisterAsync();
        var project = await owner.CreateProjectAsync();
        var path = $"{stranger.OrgPath}/projects/{project.Id}";

        await (await stranger.Client.GetAsync(path)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.ProjectNotFound);
        await (await stranger.Client.PatchAsync(path, new { name = "mine" })).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.ProjectNotFound);
        await (await stranger.Client.DeleteAsync(path)).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.ProjectNotFound);
        await (await stranger.Client.GetAsync($"{path}/stats")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.ProjectNotFound);
        await (await stranger.Client.GetAsync($"{path}/plan")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.ProjectNotFound);
        await (await stranger.Client.PostAsync($"{path}/task-lists", new CreateTaskListRequest("x")))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.ProjectNotFound);
        (await owner.Client.GetAsync($"{owner.OrgPath}/projects/{project.Id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Viewers_read_members_change_and_only_admins_and_owners_delete_projects()
    {
        var owner = await _anonymous.RegisterAsync();
        var viewer = await owner.AddMemberAsync("viewer");
        var member = await owner.AddMemberAsync("member");
        var admin = await owner.AddMemberAsync("admin");
        var project = await owner.CreateProjectAsync();

        (await viewer.Client.GetAsync($"{owner.OrgPath}/projects/{project.Id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await viewer.Client.PostAsync($"{owner.OrgPath}/projects", new CreateProjectRequest("no")))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
        (await member.Client.PostAsync($"{owner.OrgPath}/projects/{project.Id}/task-lists", new CreateTaskListRequest("ok")))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        await (await member.Client.DeleteAsync($"{owner.OrgPath}/projects/{project.Id}")).ShouldBeProblemAsync(HttpStatusCode.Forbidden, ProblemCodes.Forbidden);
        (await admin.Client.DeleteAsync($"{owner.OrgPath}/projects/{project.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await owner.Client.GetAsync($"{owner.OrgPath}/projects/{project.Id}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, ProblemCodes.ProjectNotFound);
    }

    [Fact]
    public async Task Lists_page_by_cursor_without_repeats_and_filter_by_search_and_status()
    {
        var owner = await _anonymous.RegisterAsync();
        var names = Enumerable.Range(0, 7).Select(i => $"Service {i:D2}").ToList();
        foreach (var name in names)
        {
            await owner.CreateProjectAsync(name);
        }

        var archived = await owner.CreateProjectAsync("Old thing");
        (await owner.Client.PatchAsync($"{owner.OrgPath}/projects/{archived.Id}", new { status = "archived" })).StatusCode.ShouldBe(HttpStatusCode.OK);

        var paged = await owner.AllPagesAsync<ProjectResponse>($"{owner.OrgPath}/projects?page_size=3&search=service");
        paged.Select(p => p.Name).ShouldBe(names);
        var descending = await owner.AllPagesAsync<ProjectResponse>($"{owner.OrgPath}/projects?page_size=2&sort=-name&status=active");
        descending.Select(p => p.Name).ShouldBe(names.AsEnumerable().Reverse());
        var old = await owner.Client.GetJsonAsync<CursorPage<ProjectResponse>>($"{owner.OrgPath}/projects?status=archived");
        old.Items.Single().Id.ShouldBe(archived.Id);
        old.NextCursor.ShouldBeNull();

        var bad = await owner.Client.GetAsync($"{owner.OrgPath}/projects?sort=colour&page_size=500&cursor=nonsense");
        var problem = await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed);
        foreach (var field in new[] { "sort", "page_size", "cursor" })
        {
            problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(field);
        }
    }

    [Fact]
    public async Task Changes_are_in_the_audit_log_and_teams_group_members()
    {
        var owner = await _anonymous.RegisterAsync();
        var member = await owner.AddMemberAsync("member");
        var project = await owner.CreateProjectAsync("Audited");
        var team = await (await owner.Client.PostAsync($"{owner.OrgPath}/teams", new CreateTeamRequest("Platform team")))
            .ReadAsync<TeamResponse>(HttpStatusCode.Created);
        var joined = await (await owner.Client.Http.PutAsync($"{owner.OrgPath}/teams/{team.Id}/members/{member.UserId}",
            System.Net.Http.Json.JsonContent.Create(new PutTeamMemberRequest("lead"), options: Client.Json))).ReadAsync<TeamResponse>(HttpStatusCode.OK);
        joined.Members.Single().Role.ShouldBe("lead");
        var outsider = await _anonymous.RegisterAsync();
        var refused = await owner.Client.Http.PutAsync($"{owner.OrgPath}/teams/{team.Id}/members/{outsider.UserId}",
            System.Net.Http.Json.JsonContent.Create(new PutTeamMemberRequest(), options: Client.Json));
        (await refused.ShouldBeProblemAsync(HttpStatusCode.BadRequest, ProblemCodes.ValidationFailed)).GetProperty("errors").TryGetProperty("user_id", out _).ShouldBeTrue();

        (await owner.Client.PatchAsync($"{owner.OrgPath}/projects/{project.Id}", new { team_id = team.Id })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var inTeam = await owner.Client.GetJsonAsync<CursorPage<ProjectResponse>>($"{owner.OrgPath}/projects?team_id={team.Id}");
        inTeam.Items.Single().Id.ShouldBe(project.Id);
        var cleared = await (await owner.Client.PatchAsync($"{owner.OrgPath}/projects/{project.Id}", new { team_id = (Guid?)null }))
            .ReadAsync<ProjectResponse>(HttpStatusCode.OK);
        cleared.TeamId.ShouldBeNull();

        var audit = await owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{owner.OrgPath}/audit-events?object_id={project.Id}");
        audit.Items.Select(e => e.Action).ShouldContain("project.created");
        audit.Items.Select(e => e.Action).ShouldContain("project.updated");
        var teamAudit = await owner.Client.GetJsonAsync<PagedList<AuditEventResponse>>($"{owner.OrgPath}/audit-events?action=team_member.created");
        teamAudit.Items.ShouldHaveSingleItem();
    }
}

public sealed class ProjectTestsOnSqlite(SqliteApp app) : ProjectTests<SqliteApp>(app);

public sealed class ProjectTestsOnPostgres(PostgresApp app) : ProjectTests<PostgresApp>(app);

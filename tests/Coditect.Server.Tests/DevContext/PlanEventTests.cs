using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Coditect.Contracts.DevContext;
using Coditect.Server.Tests.Infrastructure;

namespace Coditect.Server.Tests.DevContext;

/// <summary>
/// <c>plan.updated</c> carries the version's metadata, not its content (up to 1 MiB): every webhook delivery and outbox
/// row would otherwise copy the plan. Subscribers read the content from <c>GET .../plan/versions/{version}</c>.
/// </summary>
public abstract class PlanEventTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : ProbedApp
{
    [Fact]
    public async Task Plan_updated_names_the_version_and_its_size_without_the_content()
    {
        var owner = await app.Anonymous().RegisterAsync();
        var project = await owner.CreateProjectAsync();
        var content = "# Plan\n" + new string('x', 100_000);
        var saved = await (await owner.Client.Http.PutAsJsonAsync($"{owner.OrgPath}/projects/{project.Id}/plan",
            new PutPlanRequest(content, "big"), Client.Json)).ReadAsync<PlanResponse>(HttpStatusCode.OK);

        JsonElement data = default;
        for (var i = 0; i < 100 && data.ValueKind == JsonValueKind.Undefined; i++)
        {
            data = app.Probe.Cluster.Select(d => d.Message)
                .FirstOrDefault(m => m.Type == "plan.updated" && m.Data.GetProperty("project_id").GetGuid() == project.Id)?.Data ?? default;
            await Task.Delay(100);
        }

        data.ValueKind.ShouldBe(JsonValueKind.Object, "the event is delivered");
        data.GetProperty("version").GetInt32().ShouldBe(saved.Version);
        data.GetProperty("content_bytes").GetInt32().ShouldBe(saved.ContentBytes);
        data.GetProperty("summary").GetString().ShouldBe("big");
        data.TryGetProperty("content", out _).ShouldBeFalse();
        data.GetRawText().Length.ShouldBeLessThan(1000);
    }
}

public sealed class PlanEventTestsOnSqlite(ProbedSqliteApp app) : PlanEventTests<ProbedSqliteApp>(app);

public sealed class PlanEventTestsOnPostgres(ProbedPostgresApp app) : PlanEventTests<ProbedPostgresApp>(app);

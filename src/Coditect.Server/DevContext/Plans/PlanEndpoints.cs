using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coditect.Server.DevContext.Plans;

/// <summary><c>/orgs/{org}/projects/{id}/plan</c>: the plan, its versions and the diff between two.</summary>
public static class PlanEndpoints
{
    public static void MapPlans(this RouteGroupBuilder org)
    {
        var plan = org.MapGroup("/projects/{id:guid}/plan").WithTags("Projects");
        plan.MapGet("/", Get).RequirePermission(Permission.ReadWork)
            .WithName("getPlan").WithSummary("Get a project's current plan (version 0 and empty before the first)")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ProjectNotFound);
        plan.MapPut("/", Put).RequirePermission(Permission.ManageWork).WithLongText("content").WithBodyLimit(PlanHistory.BodyLimit)
            .WithName("putPlan").WithSummary("Save a new version of the plan (at most 1,048,576 UTF-8 bytes); the same content again adds none")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ProjectNotFound);
        plan.MapGet("/versions", Versions).RequirePermission(Permission.ReadWork)
            .WithName("listPlanVersions").WithSummary("List the plan's versions, newest first, without content")
            .WithKeysetPaging("-version", [.. PlanHistory.Sorts.Names])
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ProjectNotFound);
        plan.MapGet("/versions/{version:int}", Version).RequirePermission(Permission.ReadWork)
            .WithName("getPlanVersion").WithSummary("Get one version of the plan")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ProjectNotFound, ProblemCodes.PlanVersionNotFound);
        plan.MapGet("/diff", Diff).RequirePermission(Permission.ReadWork)
            .WithName("diffPlan").WithSummary("A unified diff between two versions of the plan")
            .WithQuery(
                new QueryParameter("from", "The older version; default the one before `to`. 0 is the empty plan.") { Type = Microsoft.OpenApi.JsonSchemaType.Integer, Format = "int32", Minimum = 0 },
                new QueryParameter("to", "The newer version; default the current one.") { Type = Microsoft.OpenApi.JsonSchemaType.Integer, Format = "int32", Minimum = 0 })
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ProjectNotFound, ProblemCodes.PlanVersionNotFound);
    }

    private static async Task<Results<Ok<PlanResponse>, ProblemHttpResult>> Get(Guid id, PlanHistory plans, CancellationToken ct) =>
        await plans.GetAsync(id, null, ct) is { } plan ? TypedResults.Ok(plan) : Answers.ProjectNotFound().ToProblem();

    private static async Task<Results<Ok<PlanResponse>, ProblemHttpResult>> Put(Guid id, PutPlanRequest body, PlanHistory plans, CancellationToken ct) =>
        Answers.Ok(await plans.PutAsync(id, body, ct));

    private static async Task<Results<Ok<CursorPage<PlanVersionSummary>>, ProblemHttpResult>> Versions(
        Guid id, HttpRequest request, PlanHistory plans, CancellationToken ct)
    {
        var errors = new Validator();
        var keyset = Keyset.Parse(request, errors, PlanHistory.Sorts);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        return await plans.VersionsAsync(id, keyset, ct) is { } page ? TypedResults.Ok(page) : Answers.ProjectNotFound().ToProblem();
    }

    private static async Task<Results<Ok<PlanResponse>, ProblemHttpResult>> Version(Guid id, int version, PlanHistory plans, CancellationToken ct)
    {
        if (version < 1)
        {
            return Problems.NotFound(ProblemCodes.PlanVersionNotFound, "The plan version");
        }

        if (await plans.GetAsync(id, version, ct) is { } plan)
        {
            return TypedResults.Ok(plan);
        }

        return await plans.GetAsync(id, null, ct) is null
            ? Answers.ProjectNotFound().ToProblem()
            : Problems.NotFound(ProblemCodes.PlanVersionNotFound, "The plan version");
    }

    private static async Task<Results<Ok<PlanDiffResponse>, ProblemHttpResult>> Diff(Guid id, HttpRequest request, PlanHistory plans, CancellationToken ct)
    {
        var errors = new Validator();
        var from = Query.Int(request, errors, "from", 0, int.MaxValue);
        var to = Query.Int(request, errors, "to", 0, int.MaxValue);
        return errors.IsValid ? Answers.Ok(await plans.DiffAsync(id, from, to, ct)) : Problems.Validation(errors);
    }
}

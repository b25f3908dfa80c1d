using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Licensing.Admin;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coditect.Server.Licensing.Machines;

/// <summary>
/// Node-locked licences: the client activates and deactivates its machine with the licence key (one transaction each,
/// after the per-licence and per-machine rate limits); the vendor lists a licence's machines and deactivates one.
/// </summary>
public static class MachineEndpoints
{
    public static void MapMachineProtocol(this IEndpointRouteBuilder app)
    {
        var protocol = app.MapGroup("/api/v1/licenses").WithTags("Lease protocol").WithUnitOfWork();
        protocol.MapPost("/activate", Activate).WithName("activateMachine")
            .WithSummary("Activate a machine on a node-locked licence; the same machine again renews its activation token")
            .ProducesProblems(StatusCodes.Status403Forbidden, ProblemCodes.OrganizationSuspended, ProblemCodes.LicenseSuspended, ProblemCodes.LicenseExpired)
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.MachineLimitReached, ProblemCodes.LicenseNotNodeLocked);
        protocol.MapPost("/deactivate", Deactivate).WithName("deactivateMachine")
            .WithSummary("Deactivate a machine: its place on the licence is free at once")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound, ProblemCodes.MachineNotFound);
    }

    public static void MapMachines(this RouteGroupBuilder org)
    {
        var machines = org.MapGroup("/licenses/{id:guid}/machines").WithTags("Licences");
        machines.MapGet("/", List).RequirePermission(Permission.ReadLicenses)
            .WithName("listMachines").WithSummary("List the machines activated on a licence, newest first")
            .WithKeysetPaging("-activated_at", [.. MachineActivations.Sorts.Names])
            .WithQuery(QueryParameter.Text("search", "Only machines whose hardware id or name contains this, case-insensitive.", maxLength: 200))
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound);
        machines.MapDelete("/{machineId:guid}", Delete).RequirePermission(Permission.ManageMachines)
            .WithName("deactivateMachineAsAdmin").WithSummary("Deactivate a machine of a licence")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound, ProblemCodes.MachineNotFound);
    }

    private static async Task<Results<Created<ActivateResponse>, Ok<ActivateResponse>, ProblemHttpResult>> Activate(
        ActivateRequest body, MachineActivations activations, HttpContext http, CancellationToken ct)
    {
        var errors = new Validator();
        var key = errors.Required("license_key", body.LicenseKey, 64);
        var hardwareId = errors.Required("hardware_id", body.HardwareId, 256);
        var name = Optional(errors, "name", body.Name, 200);
        var platform = Optional(errors, "platform", body.Platform, 100);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        var keyHash = LicenseKeys.Hash(key);
        if (await http.LimitLeaseCallAsync(keyHash, "m:" + hardwareId) is { } limited)
        {
            return limited;
        }

        var outcome = await activations.ActivateAsync(keyHash, hardwareId, name, platform, ct);
        return outcome.Response is not { } response ? outcome.Refusal!.ToProblem()
            : outcome.Created ? TypedResults.Created((string?)null, response)
            : TypedResults.Ok(response);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Deactivate(
        DeactivateRequest body, MachineActivations activations, HttpContext http, CancellationToken ct)
    {
        var errors = new Validator();
        var key = errors.Required("license_key", body.LicenseKey, 64);
        var hardwareId = errors.Required("hardware_id", body.HardwareId, 256);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        var keyHash = LicenseKeys.Hash(key);
        if (await http.LimitLeaseCallAsync(keyHash, "m:" + hardwareId) is { } limited)
        {
            return limited;
        }

        return await activations.DeactivateAsync(keyHash, hardwareId, ct) is { } refusal ? refusal.ToProblem() : TypedResults.NoContent();
    }

    private static async Task<Results<Ok<CursorPage<MachineResponse>>, ProblemHttpResult>> List(
        Guid id, MachineActivations activations, HttpRequest request, CancellationToken ct)
    {
        var errors = new Validator();
        var keyset = Keyset.Parse(request, errors, MachineActivations.Sorts);
        var search = request.Query["search"].ToString().Trim();
        if (WireText.Problem(search) is { } problem)
        {
            errors.Add("search", problem);
        }
        else if (search.Length > 200)
        {
            errors.Add("search", "must be at most 200 characters.");
        }

        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        return await activations.ListAsync(id, keyset, search, ct) is { } page ? TypedResults.Ok(page) : LicenseEndpoints.NotFound();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid id, Guid machineId, MachineActivations activations, CancellationToken ct) =>
        await activations.AdminDeactivateAsync(id, machineId, ct) is { } refusal ? refusal.ToProblem() : TypedResults.NoContent();

    private static string? Optional(Validator errors, string field, string? value, int max)
    {
        if (value is null)
        {
            return null;
        }

        if (WireText.Problem(value) is { } problem)
        {
            errors.Add(field, problem);
        }
        else if (value.Length > max)
        {
            errors.Add(field, $"must be at most {max} characters.");
        }

        return value.Trim() is { Length: > 0 } trimmed ? trimmed : null;
    }
}

using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Signing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coditect.Server.Licensing.Admin;

/// <summary>A signed licence file for an air-gapped machine (docs/licensing.md, "Licence files for air-gapped machines").</summary>
public static class LicenseFileEndpoints
{
    public static void MapLicenseFiles(this RouteGroupBuilder org)
    {
        org.MapPost("/licenses/{id:guid}/file", Issue).WithTags("Licences").RequirePermission(Permission.ManageLicenses)
            .WithName("issueLicenseFile").WithSummary("Issue a signed licence file, for one machine or for the licence as a whole")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.LicenseSuspended, ProblemCodes.LicenseExpired);
    }

    /// <summary>The body is optional: none, or <c>{}</c>, issues the file for the licence as a whole.</summary>
    private static async Task<Results<Ok<LicenseFileResponse>, ProblemHttpResult>> Issue(
        Guid id, LicenseFileRequest? body, LicenseFiles files, CancellationToken ct)
    {
        var outcome = await files.IssueAsync(id, body, ct);
        return outcome.Value is { } file ? TypedResults.Ok(file) : outcome.Refusal!.ToProblem();
    }
}

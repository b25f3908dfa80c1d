using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.Licensing.Ledger;
using Coditect.Server.Licensing.Machines;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Licensing.Admin;

/// <summary>The vendor's side: licences in an organization. Any member reads; admins and owners change.</summary>
public static class LicenseEndpoints
{
    public static void MapLicenses(this RouteGroupBuilder org)
    {
        var licenses = org.MapGroup("/licenses").WithTags("Licences");
        licenses.MapPost("/", Create).RequirePermission(Permission.ManageLicenses)
            .WithName("createLicense").WithSummary("Create a licence; the answer shows its key once")
            .ProducesProblems(StatusCodes.Status402PaymentRequired, ProblemCodes.QuotaExceeded);
        licenses.MapGet("/", List).RequirePermission(Permission.ReadLicenses)
            .WithName("listLicenses").WithSummary("List licences, newest first").WithPaging()
            .WithQuery(
                QueryParameter.OneOf("status", "Only licences with this status.", LicenseStatuses.Active, LicenseStatuses.Suspended, LicenseStatuses.Expired),
                QueryParameter.Text("search", "Only licences whose name contains this, case-insensitive.", maxLength: 200));
        licenses.MapGet("/{id:guid}", Get).RequirePermission(Permission.ReadLicenses)
            .WithName("getLicense").WithSummary("Get a licence")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound);
        licenses.MapPatch("/{id:guid}", Update).RequirePermission(Permission.ManageLicenses)
            .WithName("updateLicense").WithSummary("Change the members of a licence that are sent")
            .Accepts<UpdateLicenseRequest>("application/json")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound)
            .ProducesProblems(StatusCodes.Status402PaymentRequired, ProblemCodes.QuotaExceeded)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.LicenseManaged);
        licenses.MapDelete("/{id:guid}", Delete).RequirePermission(Permission.ManageLicenses)
            .WithName("deleteLicense").WithSummary("Delete a licence with its sessions and usage history")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.LicenseManaged);
        licenses.MapPost("/{id:guid}/suspend", Suspend).RequirePermission(Permission.ManageLicenses)
            .WithName("suspendLicense").WithSummary("Suspend a licence: acquires and heartbeats are refused")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.LicenseManaged);
        licenses.MapPost("/{id:guid}/reinstate", Reinstate).RequirePermission(Permission.ManageLicenses)
            .WithName("reinstateLicense").WithSummary("Reinstate a suspended licence")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.LicenseManaged);
        licenses.MapPost("/{id:guid}/renew", Renew).RequirePermission(Permission.ManageLicenses)
            .WithName("renewLicense").WithSummary("Set a licence's new expiry")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.LicenseManaged);
    }

    private static async Task<Results<Created<LicenseResponse>, ProblemHttpResult>> Create(
        CreateLicenseRequest body, OrgScope scope, LicenseAdmin licenses, CancellationToken ct)
    {
        var created = await licenses.CreateAsync(body, new Validator(), ct);
        return created.License is { } license
            ? TypedResults.Created($"/api/v1/orgs/{scope.Organization.Slug}/licenses/{license.Id}", license)
            : created.Refusal?.ToProblem() ?? Problems.Validation(created.Errors);
    }

    /// <summary>Newest first; <c>status</c> = active|suspended|expired, <c>search</c> matches the name.</summary>
    private static async Task<Results<Ok<PagedList<LicenseResponse>>, ProblemHttpResult>> List(
        LicenseAdmin licenses, HttpRequest request, CancellationToken ct)
    {
        var errors = new Validator();
        var paging = Paging.Parse(request, errors);
        var filter = LicenseAdmin.LicenseFilter.Parse(request.Query, errors);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        return TypedResults.Ok(await licenses.ListAsync(filter, paging, ct));
    }

    private static async Task<Results<Ok<LicenseResponse>, ProblemHttpResult>> Get(Guid id, LicenseAdmin licenses, CancellationToken ct) =>
        await licenses.GetAsync(id, ct) is { } license ? TypedResults.Ok(license) : NotFound();

    /// <summary>Partial update: only the fields present change; <c>"expires_at": null</c> makes the licence perpetual.</summary>
    private static async Task<Results<Ok<LicenseResponse>, ProblemHttpResult>> Update(
        Guid id, JsonElement body, LicenseAdmin licenses, CancellationToken ct)
    {
        var errors = new Validator();
        var update = new LicenseUpdate();
        if (body.ValueKind != JsonValueKind.Object)
        {
            // Still 404 for a licence that is not there, as before the body is looked at.
            return await licenses.GetAsync(id, ct) is null ? NotFound() : Problems.Validation("body", "must be a JSON object.");
        }

        foreach (var field in body.EnumerateObject())
        {
            try
            {
                update = field.Name switch
                {
                    "name" => update with { Name = new(field.Value.GetString()) },
                    "seats_total" => update with { SeatsTotal = new(field.Value.ValueKind == JsonValueKind.Null ? null : field.Value.GetInt32()) },
                    "expires_at" => update with { ExpiresAt = new(field.Value.ValueKind == JsonValueKind.Null ? null : field.Value.GetDateTime()) },
                    "entitlements" => update with { Entitlements = new(field.Value.Deserialize<List<string>>()) },
                    "borrow_max_hours" => update with { BorrowMaxHours = new(field.Value.ValueKind == JsonValueKind.Null ? null : field.Value.GetInt32()) },
                    "metadata" => update with { Metadata = new(field.Value.Deserialize<Dictionary<string, JsonElement>>()) },
                    "type" => update with { Type = new(field.Value.GetString()) },
                    _ => update,
                };
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException)
            {
                errors.Add(field.Name, "has the wrong type or format.");
            }
        }

        return Answer(await licenses.UpdateAsync(id, update, errors, ct));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid id, LicenseAdmin licenses, CancellationToken ct) =>
        await licenses.DeleteAsync(id, ct) is { } refusal ? refusal.ToProblem() : TypedResults.NoContent();

    private static async Task<Results<Ok<LicenseResponse>, ProblemHttpResult>> Suspend(Guid id, LicenseAdmin licenses, CancellationToken ct) =>
        Answer(await licenses.SuspendAsync(id, ct));

    private static async Task<Results<Ok<LicenseResponse>, ProblemHttpResult>> Reinstate(Guid id, LicenseAdmin licenses, CancellationToken ct) =>
        Answer(await licenses.ReinstateAsync(id, ct));

    private static async Task<Results<Ok<LicenseResponse>, ProblemHttpResult>> Renew(Guid id, RenewLicenseRequest body, LicenseAdmin licenses, CancellationToken ct) =>
        Answer(await licenses.RenewAsync(id, body.ExpiresAt, new Validator(), ct));

    private static Results<Ok<LicenseResponse>, ProblemHttpResult> Answer(LicenseAdmin.Outcome outcome) =>
        outcome.License is { } license ? TypedResults.Ok(license)
        : outcome.Refusal is { } refusal ? refusal.ToProblem()
        : outcome.NotFound ? NotFound()
        : Problems.Validation(outcome.Errors);

    /// <summary>Seats held now (live leases), or on a node-locked licence the machines activated.</summary>
    internal static Task<int> SeatsUsedAsync(CoditectDbContext db, Guid licenseId, DateTime now, CancellationToken ct) =>
        db.Set<License>().Where(l => l.Id == licenseId)
            .Select(l => l.Type == LicenseType.NodeLocked
                ? db.Set<LicenseMachine>().Count(m => m.LicenseId == l.Id)
                : db.Set<LicenseSession>().Count(s => s.LicenseId == l.Id && s.Status == SessionState.Active && s.ExpiresAt > now))
            .FirstOrDefaultAsync(ct);

    internal static ProblemHttpResult NotFound() => Problems.NotFound(ProblemCodes.LicenseNotFound, "The licence");

    internal static LicenseResponse ToResponse(this License l, int seatsUsed, DateTime now, string? key = null, int queueLength = 0) => new(
        l.Id, l.Name, key, l.KeyPreview, l.SeatsTotal, seatsUsed, l.ExpiresAt, l.StatusAt(now),
        LedgerRules.ParseEntitlements(l.Entitlements),
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(l.Metadata) ?? [],
        l.CreatedAt, l.UpdatedAt, l.ManagedBy, l.TypeName, l.BorrowMaxHours, queueLength);
}

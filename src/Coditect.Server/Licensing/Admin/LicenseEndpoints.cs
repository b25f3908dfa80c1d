using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.Licensing.Ledger;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
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
            .WithName("createLicense").WithSummary("Create a licence; the answer shows its key once");
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
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound);
        licenses.MapDelete("/{id:guid}", Delete).RequirePermission(Permission.ManageLicenses)
            .WithName("deleteLicense").WithSummary("Delete a licence with its sessions and usage history")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound);
        licenses.MapPost("/{id:guid}/suspend", Suspend).RequirePermission(Permission.ManageLicenses)
            .WithName("suspendLicense").WithSummary("Suspend a licence: acquires and heartbeats are refused")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound);
        licenses.MapPost("/{id:guid}/reinstate", Reinstate).RequirePermission(Permission.ManageLicenses)
            .WithName("reinstateLicense").WithSummary("Reinstate a suspended licence")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound);
        licenses.MapPost("/{id:guid}/renew", Renew).RequirePermission(Permission.ManageLicenses)
            .WithName("renewLicense").WithSummary("Set a licence's new expiry")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound);
    }

    private static async Task<Results<Created<LicenseResponse>, ProblemHttpResult>> Create(
        CreateLicenseRequest body, OrgScope scope, CoditectDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var errors = new Validator();
        var name = errors.Required("name", body.Name);
        var seats = LicenseInput.Seats(errors, body.SeatsTotal);
        var expiresAt = LicenseInput.FutureExpiry(errors, body.ExpiresAt, now);
        var entitlements = LicenseInput.Entitlements(errors, body.Entitlements);
        var metadata = LicenseInput.Metadata(errors, body.Metadata);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        var key = LicenseKeys.New();
        var license = new License
        {
            Name = name,
            KeyHash = LicenseKeys.Hash(key),
            KeyPreview = LicenseKeys.Preview(key),
            SeatsTotal = seats,
            ExpiresAt = expiresAt,
            State = LicenseState.Active,
            Entitlements = entitlements,
            Metadata = metadata,
        };
        db.Add(license);
        await db.SaveChangesAsync(ct);
        await db.RaiseAsync(LicensingEvents.Created, license.ToResponse(0, now), ct);
        return TypedResults.Created($"/api/v1/orgs/{scope.Organization.Slug}/licenses/{license.Id}", license.ToResponse(0, now, key));
    }

    /// <summary>Newest first; <c>status</c> = active|suspended|expired, <c>search</c> matches the name.</summary>
    private static async Task<Results<Ok<PagedList<LicenseResponse>>, ProblemHttpResult>> List(
        CoditectDbContext db, HttpRequest request, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var errors = new Validator();
        var paging = Paging.Parse(request, errors);
        var status = request.Query["status"].ToString();
        if (status.Length > 0 && status is not (LicenseStatuses.Active or LicenseStatuses.Suspended or LicenseStatuses.Expired))
        {
            errors.Add("status", "must be active, suspended or expired.");
        }

        var search = request.Query["search"].ToString().Trim();
        if (search.Length > 200)
        {
            errors.Add("search", "must be at most 200 characters.");
        }

        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        var licenses = db.Set<License>().AsNoTracking();
        licenses = status switch
        {
            LicenseStatuses.Suspended => licenses.Where(l => l.State == LicenseState.Suspended),
            LicenseStatuses.Expired => licenses.Where(l => l.State == LicenseState.Active && l.ExpiresAt != null && l.ExpiresAt <= now),
            LicenseStatuses.Active => licenses.Where(l => l.State == LicenseState.Active && (l.ExpiresAt == null || l.ExpiresAt > now)),
            _ => licenses,
        };
        if (search.Length > 0)
        {
            var pattern = $"%{search.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_")}%";
            licenses = licenses.Where(l => EF.Functions.Like(l.Name.ToLower(), pattern.ToLower(), "\\"));
        }

        var rows = licenses.OrderByDescending(l => l.CreatedAt).ThenByDescending(l => l.Id)
            .Select(l => new { License = l, Used = db.Set<LicenseSession>().Count(s => s.LicenseId == l.Id && s.Status == SessionState.Active && s.ExpiresAt > now) });
        return TypedResults.Ok(await paging.ToListAsync(rows, r => r.License.ToResponse(r.Used, now), ct));
    }

    private static async Task<Results<Ok<LicenseResponse>, ProblemHttpResult>> Get(Guid id, CoditectDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var license = await db.Set<License>().AsNoTracking().FirstOrDefaultAsync(l => l.Id == id, ct);
        return license is null ? NotFound() : TypedResults.Ok(license.ToResponse(await SeatsUsedAsync(db, id, now, ct), now));
    }

    /// <summary>Partial update: only the fields present change; <c>"expires_at": null</c> makes the licence perpetual.</summary>
    private static async Task<Results<Ok<LicenseResponse>, ProblemHttpResult>> Update(
        Guid id, JsonElement body, CoditectDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var license = await db.Set<License>().FirstOrDefaultAsync(l => l.Id == id, ct);
        if (license is null)
        {
            return NotFound();
        }

        var errors = new Validator();
        if (body.ValueKind != JsonValueKind.Object)
        {
            return Problems.Validation("body", "must be a JSON object.");
        }

        foreach (var field in body.EnumerateObject())
        {
            try
            {
                switch (field.Name)
                {
                    case "name":
                        license.Name = errors.Required("name", field.Value.GetString());
                        break;
                    case "seats_total":
                        // Lowering below the seats in use keeps live sessions; acquires wait until use is under the limit.
                        license.SeatsTotal = LicenseInput.Seats(errors, field.Value.ValueKind == JsonValueKind.Null ? null : field.Value.GetInt32());
                        break;
                    case "expires_at":
                        license.ExpiresAt = field.Value.ValueKind == JsonValueKind.Null ? null
                            : LicenseInput.FutureExpiry(errors, field.Value.GetDateTime(), now);
                        break;
                    case "entitlements":
                        license.Entitlements = LicenseInput.Entitlements(errors, field.Value.Deserialize<List<string>>());
                        break;
                    case "metadata":
                        license.Metadata = LicenseInput.Metadata(errors, field.Value.Deserialize<Dictionary<string, JsonElement>>());
                        break;
                }
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException)
            {
                errors.Add(field.Name, "has the wrong type or format.");
            }
        }

        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        await db.SaveChangesAsync(ct);
        var response = license.ToResponse(await SeatsUsedAsync(db, id, now, ct), now);
        await db.RaiseAsync(LicensingEvents.Updated, response, ct);
        return TypedResults.Ok(response);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        Guid id, CoditectDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var license = await db.Set<License>().FirstOrDefaultAsync(l => l.Id == id, ct);
        if (license is null)
        {
            return NotFound();
        }

        var now = clock.GetUtcNow().UtcDateTime;
        await db.RaiseAsync(LicensingEvents.Deleted, license.ToResponse(await SeatsUsedAsync(db, id, now, ct), now), ct);
        db.Remove(license); // its sessions and usage go with it (ON DELETE CASCADE): every seat is free at once
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    private static Task<Results<Ok<LicenseResponse>, ProblemHttpResult>> Suspend(Guid id, [AsParameters] LicenseChange change, CancellationToken ct) =>
        change.ApplyAsync(id, LicensingEvents.Suspended, (license, _, _) => license.State = LicenseState.Suspended, ct);

    private static Task<Results<Ok<LicenseResponse>, ProblemHttpResult>> Reinstate(Guid id, [AsParameters] LicenseChange change, CancellationToken ct) =>
        change.ApplyAsync(id, LicensingEvents.Reinstated, (license, _, _) => license.State = LicenseState.Active, ct);

    private static Task<Results<Ok<LicenseResponse>, ProblemHttpResult>> Renew(Guid id, RenewLicenseRequest body, [AsParameters] LicenseChange change, CancellationToken ct) =>
        change.ApplyAsync(id, LicensingEvents.Renewed, (license, errors, now) =>
        {
            if (body.ExpiresAt is null)
            {
                errors.Add("expires_at", "is required.");
                return;
            }

            license.ExpiresAt = LicenseInput.FutureExpiry(errors, body.ExpiresAt, now);
        }, ct);

    /// <summary>The suspend/reinstate/renew actions: load, change, validate, save, raise the event (every node's ledger hears it).</summary>
    internal sealed record LicenseChange(CoditectDbContext Db, TimeProvider Clock)
    {
        public async Task<Results<Ok<LicenseResponse>, ProblemHttpResult>> ApplyAsync(
            Guid id, string type, Action<License, Validator, DateTime> change, CancellationToken ct)
        {
            var now = Clock.GetUtcNow().UtcDateTime;
            var license = await Db.Set<License>().FirstOrDefaultAsync(l => l.Id == id, ct);
            if (license is null)
            {
                return NotFound();
            }

            var errors = new Validator();
            change(license, errors, now);
            if (!errors.IsValid)
            {
                return Problems.Validation(errors);
            }

            await Db.SaveChangesAsync(ct);
            var response = license.ToResponse(await SeatsUsedAsync(Db, id, now, ct), now);
            await Db.RaiseAsync(type, response, ct);
            return TypedResults.Ok(response);
        }
    }

    internal static Task<int> SeatsUsedAsync(CoditectDbContext db, Guid licenseId, DateTime now, CancellationToken ct) =>
        db.Set<LicenseSession>().CountAsync(s => s.LicenseId == licenseId && s.Status == SessionState.Active && s.ExpiresAt > now, ct);

    internal static ProblemHttpResult NotFound() => Problems.NotFound(ProblemCodes.LicenseNotFound, "The licence");

    internal static LicenseResponse ToResponse(this License l, int seatsUsed, DateTime now, string? key = null) => new(
        l.Id, l.Name, key, l.KeyPreview, l.SeatsTotal, seatsUsed, l.ExpiresAt, l.StatusAt(now),
        LedgerRules.ParseEntitlements(l.Entitlements),
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(l.Metadata) ?? [],
        l.CreatedAt, l.UpdatedAt);
}

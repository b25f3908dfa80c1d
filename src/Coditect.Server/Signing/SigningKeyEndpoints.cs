using System.Text.Json.Nodes;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Audit;
using Coditect.Server.Data;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coditect.Server.Signing;

/// <summary>The organization's own lease signing keys: list them, and rotate (docs/licensing.md, ADR 0020).</summary>
public static class SigningKeyEndpoints
{
    public const string Rotated = "signing_key.rotated";

    public static void MapSigningKeys(this RouteGroupBuilder org)
    {
        var keys = org.MapGroup("/signing-keys").WithTags("Licences");
        keys.MapGet("/", List).RequirePermission(Permission.ReadLicenses)
            .WithName("listSigningKeys").WithSummary("List the organization's lease signing keys, newest first").WithPaging()
            .ProducesProblems(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed);
        keys.MapPost("/rotate", Rotate).RequirePermission(Permission.ManageLicenses)
            .WithName("rotateSigningKey").WithSummary("Make a new signing key; the old one stays published until what it signed expires");
    }

    private static async Task<Results<Ok<PagedList<SigningKeyResponse>>, ProblemHttpResult>> List(
        OrgScope scope, CoditectDbContext db, LeaseSigningKeys signingKeys, HttpRequest request, CancellationToken ct)
    {
        var errors = new Validator();
        var paging = Paging.Parse(request, errors);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        return TypedResults.Ok(await signingKeys.ListAsync(db, scope.Organization.Id, paging, ct));
    }

    private static async Task<Results<Created<SigningKeyResponse>, ProblemHttpResult>> Rotate(
        RotateSigningKeyRequest? body, OrgScope scope, CoditectDbContext db, TenantScope tenancy, LeaseSigningKeys signingKeys, TimeProvider clock,
        CancellationToken ct)
    {
        if (body?.Algorithm is { } algorithm && TokenAlgorithm.Find(algorithm) is null)
        {
            return Problems.Validation("algorithm", $"must be {TokenAlgorithm.Names}.");
        }

        var key = await RotateAsync(db, tenancy, signingKeys, scope.Organization.Id, body?.Algorithm, clock, ct);
        return TypedResults.Created($"/api/v1/orgs/{scope.Organization.Slug}/signing-keys", key);
    }

    /// <summary>
    /// Rotates in the request's transaction, audited, and commits it; then this node signs with the new key at once. The
    /// API and the console's signing-keys page both rotate here.
    /// </summary>
    internal static async Task<SigningKeyResponse> RotateAsync(
        CoditectDbContext db, TenantScope tenancy, LeaseSigningKeys signingKeys, Guid organizationId, string? algorithm, TimeProvider clock, CancellationToken ct)
    {
        var key = await signingKeys.RotateInAsync(db, organizationId, algorithm, ct);
        var kid = key.Id.ToString("N");
        AuditRecorder.Explicit(db, organizationId, Rotated, "signing_key", key.Id, new JsonObject
        {
            ["key_id"] = new JsonObject { ["before"] = null, ["after"] = kid },
            ["algorithm"] = new JsonObject { ["before"] = null, ["after"] = key.Algorithm },
        }, clock.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(ct);
        await tenancy.CommitAsync(ct);
        await signingKeys.ReloadAsync(organizationId, ct);
        return new SigningKeyResponse(kid, key.Algorithm, Current: true, key.CreatedAt, RetiredAt: null, PublishedUntil: null);
    }
}

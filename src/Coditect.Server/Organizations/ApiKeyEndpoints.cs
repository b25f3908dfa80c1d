using Coditect.Contracts.Common;
using Coditect.Contracts.Organizations;
using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Platform;
using Coditect.Server.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Organizations;

public static class ApiKeyEndpoints
{
    public static void MapApiKeys(this RouteGroupBuilder org)
    {
        var keys = org.MapGroup("/api-keys").WithTags("API keys");
        keys.MapGet("/", List).RequirePermission(Permission.ManageApiKeys)
            .WithName("listApiKeys").WithSummary("List API keys, revoked ones included, newest first").WithPaging();
        keys.MapPost("/", Create).RequirePermission(Permission.ManageApiKeys)
            .WithName("createApiKey").WithSummary("Create an API key; the answer shows the key once");
        keys.MapDelete("/{id:guid}", Revoke).RequirePermission(Permission.ManageApiKeys)
            .WithName("revokeApiKey").WithSummary("Revoke an API key")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.ApiKeyNotFound);
    }

    private static async Task<Results<Ok<PagedList<ApiKeyResponse>>, ProblemHttpResult>> List(
        CoditectDbContext db, HttpRequest request, CancellationToken ct)
    {
        var errors = new Validator();
        var paging = Paging.Parse(request, errors);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        var keys = db.Set<ApiKey>().OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id);
        return TypedResults.Ok(await paging.ToListAsync(keys, k => k.ToResponse(key: null), ct));
    }

    private static async Task<Results<Created<ApiKeyResponse>, ProblemHttpResult>> Create(
        CreateApiKeyRequest body, OrgScope scope, TenantContext tenant, CoditectDbContext db, CancellationToken ct)
    {
        var errors = new Validator();
        var name = errors.Required("name", body.Name, 100);
        if (!Roles.TryParse(body.Role, out var role))
        {
            errors.Add("role", "must be one of owner, admin, member, viewer.");
        }

        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        if (!scope.Role.CanAssign(role) || role < scope.Role)
        {
            return Problems.Forbidden("An API key cannot have a stronger role than its creator.");
        }

        var secret = OpaqueToken.New(BearerAuthentication.ApiKeyPrefix);
        var apiKey = new ApiKey
        {
            Name = name,
            Role = role,
            Prefix = secret[..12],
            KeyHash = OpaqueToken.Hash(secret),
            // A key minted by a key carries the same person's authority, so removing that person stops both.
            CreatedByUserId = tenant.UserId ?? tenant.ApiKeyCreatorId,
        };
        db.Add(apiKey);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/orgs/{scope.Organization.Slug}/api-keys/{apiKey.Id}", apiKey.ToResponse(secret));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Revoke(Guid id, CoditectDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var apiKey = await db.Set<ApiKey>().FirstOrDefaultAsync(k => k.Id == id, ct);
        if (apiKey is null)
        {
            return Problems.NotFound(ProblemCodes.ApiKeyNotFound, "The API key");
        }

        apiKey.RevokedAt ??= clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    private static ApiKeyResponse ToResponse(this ApiKey k, string? key) =>
        new(k.Id, k.Name, k.Role.ToWire(), k.Prefix, k.CreatedAt, k.LastUsedAt, k.RevokedAt, key);
}

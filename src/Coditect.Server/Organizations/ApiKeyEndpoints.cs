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
        ApiKeys apiKeys, HttpRequest request, CancellationToken ct)
    {
        var errors = new Validator();
        var paging = Paging.Parse(request, errors);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        return TypedResults.Ok(await paging.ToListAsync(apiKeys.List(), k => k.ToResponse(key: null), ct));
    }

    private static async Task<Results<Created<ApiKeyResponse>, ProblemHttpResult>> Create(
        CreateApiKeyRequest body, OrgScope scope, ApiKeys apiKeys, CancellationToken ct)
    {
        var created = await apiKeys.CreateAsync(body.Name, body.Role, ct);
        return created.Value is { } apiKey
            ? TypedResults.Created($"/api/v1/orgs/{scope.Organization.Slug}/api-keys/{apiKey.Id}", apiKey)
            : created.Refusal!.ToProblem();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Revoke(Guid id, ApiKeys apiKeys, CancellationToken ct) =>
        await apiKeys.RevokeAsync(id, ct) is { } refusal ? refusal.ToProblem() : TypedResults.NoContent();
}

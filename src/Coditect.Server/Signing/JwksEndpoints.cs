using Coditect.Contracts.Common;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coditect.Server.Signing;

public static class JwksEndpoints
{
    /// <summary>The public keys that verify lease tokens, activation tokens and licence files offline.</summary>
    public static void MapSigning(this IEndpointRouteBuilder app, RouteGroupBuilder org)
    {
        org.MapSigningKeys();
        app.MapGet("/api/v1/orgs/{organizationId:guid}/jwks.json", async Task<Results<JsonHttpResult<object>, ProblemHttpResult>> (
                Guid organizationId, LeaseTokens tokens, HttpContext http, CancellationToken ct) =>
            {
                if (await tokens.JwksAsync(organizationId, ct) is not { } jwks)
                {
                    return Problems.NotFound(ProblemCodes.OrgNotFound, "The organization");
                }

                // Short enough that a rotation reaches verifiers well within a lease's lifetime.
                http.Response.Headers.CacheControl = "public, max-age=300";
                return TypedResults.Json(jwks);
            })
            .AllowAnonymous().WithTags("Lease protocol").WithName("getOrganizationJwks")
            .WithSummary("The organization's public keys that verify its lease tokens, activation tokens and licence files (JWKS)")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.OrgNotFound);

        app.MapGet("/.well-known/jwks.json", (LeaseTokens tokens, HttpContext http) =>
            {
                http.Response.Headers.CacheControl = "public, max-age=300";
                return TypedResults.Json(tokens.PlatformJwks());
            })
            .WithTags("Lease protocol").WithName("getJwks")
            .WithSummary("The platform's earlier keys, for tokens signed before keys were per organization (JWKS)");
    }
}

namespace Coditect.Server.Signing;

public static class JwksEndpoints
{
    /// <summary>The public keys that verify lease tokens offline.</summary>
    public static void MapSigning(this IEndpointRouteBuilder app) =>
        app.MapGet("/.well-known/jwks.json", (LeaseTokens tokens, HttpContext http) =>
        {
            // Short enough that a rotation reaches verifiers well within a lease's lifetime.
            http.Response.Headers.CacheControl = "public, max-age=300";
            return TypedResults.Json(tokens.Jwks());
        }).WithTags("Lease protocol").WithName("getJwks").WithSummary("The public keys that verify lease tokens (JWKS)");
}

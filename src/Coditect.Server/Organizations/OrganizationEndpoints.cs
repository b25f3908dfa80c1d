using Coditect.Contracts.Common;
using Coditect.Contracts.Organizations;
using Coditect.Server.Data;
using Coditect.Server.Platform;
using Coditect.Server.Signing;
using Coditect.Server.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Organizations;

public static class OrganizationEndpoints
{
    /// <summary>
    /// The caller's organizations (<c>/api/v1/orgs</c>) and, under the shared <c>/api/v1/orgs/{org}</c> group, the
    /// organization itself, its members, invitations and API keys. Other features map their own parts of that group.
    /// </summary>
    public static void MapOrganizations(this RouteGroupBuilder api, RouteGroupBuilder org)
    {
        var orgs = api.MapGroup("/orgs").WithTags("Organizations").RequireAuthorization();
        orgs.MapGet("/", ListMine).WithName("listOrganizations").WithSummary("List the caller's organizations, oldest first")
            .WithPaging();
        orgs.MapPost("/", Create).WithName("createOrganization").WithSummary("Create an organization owned by the caller")
            .ProducesProblems(StatusCodes.Status403Forbidden, ProblemCodes.UserTokenRequired)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.SlugTaken);

        var self = org.MapGroup("/").WithTags("Organizations");
        // The one answer members still get while staff have suspended the organization: it says so (suspended_at).
        self.MapGet("/", Get).RequirePermission(Permission.ReadOrganization).AllowWhenSuspended()
            .WithName("getOrganization").WithSummary("Get an organization");
        self.MapPatch("/", Update).RequirePermission(Permission.UpdateOrganization)
            .WithName("updateOrganization").WithSummary("Rename an organization or change its slug")
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.SlugTaken);
        self.MapDelete("/", Delete).RequirePermission(Permission.DeleteOrganization)
            .WithName("deleteOrganization").WithSummary("Delete an organization with its members, invitations and API keys");
        org.MapMembers();
        org.MapInvitations();
        org.MapApiKeys();
        api.MapInvitationAcceptance();
        api.MapStaffOrganizations();
    }

    /// <summary>
    /// Creates an organization with <paramref name="ownerId"/> as its owner and its first lease signing key, and makes it
    /// the request's tenant.
    /// </summary>
    public static async Task<Organization> CreateAsync(
        CoditectDbContext db, TenantScope scope, LeaseSigningKeys signingKeys, string name, string? slug, Guid ownerId, CancellationToken ct)
    {
        slug ??= await FreeSlugAsync(db, Slugs.FromName(name), ct);
        var organization = new Organization { Name = name, Slug = slug };
        await scope.EnterAsync(organization.Id, ct);
        db.Add(organization);
        db.Add(new Membership { TenantId = organization.Id, UserId = ownerId, Role = Role.Owner });
        signingKeys.AddFirstKey(db, organization.Id);
        return organization;
    }

    private static async Task<Results<Ok<PagedList<OrganizationResponse>>, ProblemHttpResult>> ListMine(
        CoditectDbContext db, TenantContext tenant, HttpRequest request, CancellationToken ct)
    {
        var errors = new Validator();
        var paging = Paging.Parse(request, errors);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        var mine = tenant.ApiKeyId is not null
            ? db.Set<Organization>().Where(o => o.Id == tenant.TenantId)
                .Select(o => new { Organization = o, Role = (Role?)null })
            : db.Set<Organization>()
                .Join(db.Set<Membership>().IgnoreQueryFilters().Where(m => m.UserId == tenant.UserId),
                    o => o.Id, m => m.TenantId, (o, m) => new { Organization = o, Role = (Role?)m.Role });
        var role = ApiKeyAuthority.RoleOf(request.HttpContext.User);
        var page = await paging.ToListAsync(mine.OrderBy(x => x.Organization.CreatedAt).ThenBy(x => x.Organization.Id),
            x => x.Organization.ToResponse(x.Role ?? role ?? Role.Viewer), ct);
        return TypedResults.Ok(page);
    }

    private static async Task<Results<Created<OrganizationResponse>, ProblemHttpResult>> Create(
        CreateOrganizationRequest body, CoditectDbContext db, TenantContext tenant, TenantScope scope, LeaseSigningKeys signingKeys, CancellationToken ct)
    {
        if (tenant.UserId is not { } userId || tenant.ApiKeyId is not null)
        {
            return Problems.Of(StatusCodes.Status403Forbidden, ProblemCodes.UserTokenRequired, "Only a signed-in user can create organizations.");
        }

        var errors = new Validator();
        var name = errors.Required("name", body.Name);
        var slug = ValidSlug(errors, body.Slug);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        if (slug is not null && await db.Set<Organization>().AnyAsync(o => o.Slug == slug, ct))
        {
            return SlugTaken();
        }

        var organization = await CreateAsync(db, scope, signingKeys, name, slug, userId, ct);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            return SlugTaken();
        }

        return TypedResults.Created($"/api/v1/orgs/{organization.Slug}", organization.ToResponse(Role.Owner));
    }

    private static Ok<OrganizationResponse> Get(OrgScope scope) => TypedResults.Ok(scope.Organization.ToResponse(scope.Role));

    private static async Task<Results<Ok<OrganizationResponse>, ProblemHttpResult>> Update(
        UpdateOrganizationRequest body, OrgScope scope, CoditectDbContext db, CancellationToken ct)
    {
        var errors = new Validator();
        var name = body.Name is null ? null : errors.Required("name", body.Name);
        var slug = ValidSlug(errors, body.Slug);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        var organization = scope.Organization;
        if (slug is not null && slug != organization.Slug && await db.Set<Organization>().AnyAsync(o => o.Slug == slug, ct))
        {
            return SlugTaken();
        }

        organization.Name = name ?? organization.Name;
        organization.Slug = slug ?? organization.Slug;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            return SlugTaken();
        }

        return TypedResults.Ok(organization.ToResponse(scope.Role));
    }

    private static async Task<NoContent> Delete(
        OrgScope scope, CoditectDbContext db, IEnumerable<IOrganizationDeletion> dependents, CancellationToken ct)
    {
        foreach (var dependent in dependents)
        {
            await dependent.DeletingAsync(db, scope.Organization, ct);
        }

        db.Remove(scope.Organization);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    internal static string? ValidSlug(Validator errors, string? slug)
    {
        if (slug is null)
        {
            return null;
        }

        var normalized = slug.Trim().ToLowerInvariant();
        if (!Slugs.IsValid(normalized))
        {
            errors.Add("slug", "must be 3 to 63 lower-case letters, digits or single hyphens, starting and ending with a letter or digit.");
        }

        return normalized;
    }

    private static async Task<string> FreeSlugAsync(CoditectDbContext db, string wanted, CancellationToken ct)
    {
        var slug = wanted;
        for (var attempt = 0; await db.Set<Organization>().AnyAsync(o => o.Slug == slug, ct); attempt++)
        {
            slug = $"{wanted}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(attempt < 3 ? 2 : 4))}";
        }

        return slug;
    }

    private static ProblemHttpResult SlugTaken() =>
        Problems.Of(StatusCodes.Status409Conflict, ProblemCodes.SlugTaken, "That slug is taken.", extensions: new Dictionary<string, object?> { ["field"] = "slug" });

    public static OrganizationResponse ToResponse(this Organization o, Role role) =>
        new(o.Id, o.Slug, o.Name, role.ToWire(), o.CreatedAt, o.UpdatedAt, o.SuspendedAt);
}

using System.Text.Json;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Billing;
using Coditect.Server.Data;
using Coditect.Server.DevContext.Repositories;
using Coditect.Server.DevContext.Teams;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.DevContext.Projects;

/// <summary>
/// Project use cases (scoped): create (with a key derived from the name unless given), list, read, update (a new key
/// keeps the old one as an alias), delete with everything in it. Audited from the save (<c>project.*</c>), with
/// <c>project.*</c> events.
/// </summary>
public sealed class ProjectAdmin(CoditectDbContext db, TenantContext tenant, Quotas quotas)
{
    public static readonly SortKeys<Project> Sorts = new SortKeys<Project>(p => p.Id, "name", false)
        .Add("name", p => p.Name).Add("key", p => p.Key).Add("slug", p => p.Slug)
        .Add("created_at", p => p.CreatedAt).Add("updated_at", p => p.UpdatedAt);

    /// <summary>A list's filters: <c>status</c>, <c>team_id</c> and <c>search</c> (name, slug or key contains it).</summary>
    public sealed record ProjectFilter(string? Status, Guid? TeamId, string Search);

    public async Task<Outcome<ProjectResponse>> CreateAsync(CreateProjectRequest input, CancellationToken ct)
    {
        var errors = new Validator();
        var name = errors.Required("name", input.Name);
        var slug = input.Slug is null ? null : ValidSlug(errors, input.Slug);
        var key = input.Key is null ? null : ValidKey(errors, input.Key);
        var description = WorkInput.LongText(errors, "description", input.Description);
        if (input.TeamId is { } teamId && !await db.Set<Team>().AnyAsync(t => t.Id == teamId, ct))
        {
            errors.Add("team_id", "is not a team of this organization.");
        }

        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        if (slug is not null && await db.Set<Project>().AnyAsync(p => p.Slug == slug, ct))
        {
            return Answers.Taken(ProblemCodes.NameTaken, "slug", "project");
        }

        if (key is not null && await db.Set<ProjectKey>().AnyAsync(k => k.Key == key, ct))
        {
            return Answers.Taken(ProblemCodes.ProjectKeyTaken, "key", "project");
        }

        if (await quotas.EnsureRoomAsync(Quota.Projects, 1, ct) is { } exceeded)
        {
            return exceeded;
        }

        slug ??= await FreeSlugAsync(Slugs.FromName(name), ct);
        key ??= await FreeKeyAsync(ProjectKeys.FromName(name), ct);
        var project = new Project
        {
            Name = name,
            Slug = slug,
            Key = key,
            Description = description,
            Status = ProjectStatuses.Active,
            TeamId = input.TeamId,
            CreatedBy = tenant.UserId ?? tenant.ApiKeyCreatorId,
            NextTaskNumber = 1,
        };
        db.Add(project);
        db.Add(new ProjectKey { Key = key, ProjectId = project.Id, CreatedAt = db.UtcNow });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            // Another request took the same derived slug or key between the check and the save.
            return Answers.Taken(ProblemCodes.ProjectKeyTaken, "key", "project");
        }

        var response = project.ToResponse([], []);
        await db.RaiseAsync(DevContextEvents.ProjectCreated, response, ct);
        return response;
    }

    public async Task<CursorPage<ProjectResponse>> ListAsync(ProjectFilter filter, Keyset keyset, CancellationToken ct)
    {
        var projects = db.Set<Project>().AsNoTracking();
        if (filter.Status is { } status)
        {
            projects = projects.Where(p => p.Status == status);
        }

        if (filter.TeamId is { } teamId)
        {
            projects = projects.Where(p => p.TeamId == teamId);
        }

        if (filter.Search.Length > 0)
        {
            var pattern = WorkInput.Contains(filter.Search.ToLowerInvariant());
            projects = projects.Where(p => EF.Functions.Like(p.Name.ToLower(), pattern, "\\") || EF.Functions.Like(p.Slug, pattern, "\\")
                || EF.Functions.Like(p.Key.ToLower(), pattern, "\\"));
        }

        var (rows, next) = await keyset.RowsAsync(projects, Sorts, ct);
        var ids = rows.Select(p => p.Id).ToList();
        var aliases = await AliasesAsync(ids, ct);
        var repositories = await RepositoriesAsync(ids, ct);
        return new CursorPage<ProjectResponse>(
            [.. rows.Select(p => p.ToResponse(aliases.GetValueOrDefault(p.Id, []), repositories.GetValueOrDefault(p.Id, [])))], keyset.PageSize, next);
    }

    public async Task<ProjectResponse?> GetAsync(Guid id, CancellationToken ct)
    {
        var project = await db.Set<Project>().AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct);
        return project is null ? null : await ResponseAsync(project, ct);
    }

    /// <summary>
    /// Changes the members <paramref name="body"/> sends: name, slug, key (the old key stays an alias), description
    /// (null clears), status (active or archived), team_id (null takes the project from its team).
    /// </summary>
    public async Task<Outcome<ProjectResponse>> UpdateAsync(Guid id, JsonElement body, CancellationToken ct)
    {
        var project = await db.Set<Project>().FirstOrDefaultAsync(p => p.Id == id, ct);
        if (project is null)
        {
            return Answers.ProjectNotFound();
        }

        var errors = new Validator();
        var patch = new PatchBody(body, errors);
        if (!patch.IsObject)
        {
            return Refusal.Invalid("body", "must be a JSON object.");
        }

        var name = patch.Text("name") is { } n ? errors.Required("name", n.Value) : project.Name;
        var slug = patch.Text("slug") is { } s ? ValidSlug(errors, s.Value) : project.Slug;
        var key = patch.Text("key") is { } k ? ValidKey(errors, k.Value) : project.Key;
        var description = patch.Text("description") is { } d ? WorkInput.LongText(errors, "description", d.Value) : project.Description;
        var status = project.Status;
        if (patch.Text("status") is { } st)
        {
            status = st.Value is ProjectStatuses.Active or ProjectStatuses.Archived ? st.Value : project.Status;
            if (st.Value is not (ProjectStatuses.Active or ProjectStatuses.Archived))
            {
                errors.Add("status", "must be active or archived.");
            }
        }

        var teamId = project.TeamId;
        if (patch.Id("team_id") is { } team)
        {
            teamId = team.Value;
            if (team.Value is { } wanted && !await db.Set<Team>().AnyAsync(t => t.Id == wanted, ct))
            {
                errors.Add("team_id", "is not a team of this organization.");
            }
        }

        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        if (slug != project.Slug && await db.Set<Project>().AnyAsync(p => p.Slug == slug, ct))
        {
            return Answers.Taken(ProblemCodes.NameTaken, "slug", "project");
        }

        if (key != project.Key)
        {
            // A key the project had before comes back as its key; anyone else's (current or former) is taken.
            var owner = await db.Set<ProjectKey>().Where(pk => pk.Key == key).Select(pk => (Guid?)pk.ProjectId).FirstOrDefaultAsync(ct);
            if (owner is { } other && other != project.Id)
            {
                return Answers.Taken(ProblemCodes.ProjectKeyTaken, "key", "project");
            }

            if (owner is null)
            {
                db.Add(new ProjectKey { Key = key, ProjectId = project.Id, CreatedAt = db.UtcNow });
            }
        }

        (project.Name, project.Slug, project.Key, project.Description, project.Status, project.TeamId) = (name, slug, key, description, status, teamId);
        await db.SaveChangesAsync(ct);
        var response = await ResponseAsync(project, ct);
        await db.RaiseAsync(DevContextEvents.ProjectUpdated, response, ct);
        return response;
    }

    /// <summary>Deletes the project with its plan, lists, tasks and their dependencies; its repositories stay, unlinked.</summary>
    public async Task<Refusal?> DeleteAsync(Guid id, CancellationToken ct)
    {
        var project = await db.Set<Project>().FirstOrDefaultAsync(p => p.Id == id, ct);
        if (project is null)
        {
            return Answers.ProjectNotFound();
        }

        var response = await ResponseAsync(project, ct);
        db.Remove(project);
        await db.SaveChangesAsync(ct);
        await db.RaiseAsync(DevContextEvents.ProjectDeleted, response, ct);
        return null;
    }

    internal async Task<ProjectResponse> ResponseAsync(Project project, CancellationToken ct) =>
        project.ToResponse((await AliasesAsync([project.Id], ct)).GetValueOrDefault(project.Id, []),
            (await RepositoriesAsync([project.Id], ct)).GetValueOrDefault(project.Id, []));

    private async Task<Dictionary<Guid, List<string>>> AliasesAsync(List<Guid> ids, CancellationToken ct)
    {
        var rows = await db.Set<ProjectKey>().AsNoTracking().Where(k => ids.Contains(k.ProjectId))
            .Join(db.Set<Project>(), k => k.ProjectId, p => p.Id, (k, p) => new { k.ProjectId, k.Key, Current = p.Key, k.CreatedAt })
            .Where(r => r.Key != r.Current).ToListAsync(ct);
        return rows.GroupBy(r => r.ProjectId).ToDictionary(g => g.Key, g => g.OrderBy(r => r.CreatedAt).Select(r => r.Key).ToList());
    }

    private async Task<Dictionary<Guid, List<Guid>>> RepositoriesAsync(List<Guid> ids, CancellationToken ct)
    {
        var rows = await db.Set<Repository>().AsNoTracking().Where(r => r.ProjectId != null && ids.Contains(r.ProjectId.Value))
            .OrderBy(r => r.Name).Select(r => new { ProjectId = r.ProjectId!.Value, r.Id }).ToListAsync(ct);
        return rows.GroupBy(r => r.ProjectId).ToDictionary(g => g.Key, g => g.Select(r => r.Id).ToList());
    }

    private async Task<string> FreeSlugAsync(string slug, CancellationToken ct)
    {
        var candidate = slug;
        for (var attempt = 2; await db.Set<Project>().AnyAsync(p => p.Slug == candidate, ct); attempt++)
        {
            var suffix = $"-{attempt}";
            candidate = (slug.Length + suffix.Length > 63 ? slug[..(63 - suffix.Length)] : slug).TrimEnd('-') + suffix;
        }

        return candidate;
    }

    private async Task<string> FreeKeyAsync(string key, CancellationToken ct)
    {
        var candidate = key;
        for (var attempt = 2; await db.Set<ProjectKey>().AnyAsync(k => k.Key == candidate, ct); attempt++)
        {
            candidate = ProjectKeys.Numbered(key, attempt);
        }

        return candidate;
    }

    private static string ValidSlug(Validator errors, string? slug)
    {
        var value = slug?.Trim() ?? "";
        if (!Slugs.IsValid(value))
        {
            errors.Add("slug", "must be 3 to 63 lower-case letters, digits and single hyphens.");
        }

        return value;
    }

    private static string ValidKey(Validator errors, string? key)
    {
        var value = key?.Trim() ?? "";
        if (!ProjectKeys.IsValid(value))
        {
            errors.Add("key", "must be 2 to 10 upper-case letters and digits, starting with a letter.");
        }

        return value;
    }
}

internal static class ProjectMapping
{
    public static ProjectResponse ToResponse(this Project p, IReadOnlyList<string> aliases, IReadOnlyList<Guid> repositories) =>
        new(p.Id, p.Name, p.Slug, p.Key, aliases, p.Description, p.Status, p.TeamId, repositories, p.CreatedBy, p.CreatedAt, p.UpdatedAt);
}

using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Data;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.DevContext.Repositories;

/// <summary>Repository use cases (scoped): create, list, read, update, delete (with its commits). Audited (<c>repository.*</c>).</summary>
public sealed class RepositoryAdmin(CoditectDbContext db)
{
    public static readonly string[] Providers = [RepositoryProviders.GitHub, RepositoryProviders.GitLab, RepositoryProviders.Bitbucket, RepositoryProviders.Other];

    public static readonly SortKeys<Repository> Sorts = new SortKeys<Repository>(r => r.Id, "name", false)
        .Add("name", r => r.Name).Add("created_at", r => r.CreatedAt).Add("updated_at", r => r.UpdatedAt).Add("commit_count", r => r.CommitCount);

    /// <summary>A list's filters: <c>provider</c>, <c>project_id</c>, <c>name</c> (exact) and <c>search</c> (name contains it).</summary>
    public sealed record RepositoryFilter(string? Provider, Guid? ProjectId, string? Name, string Search);

    public async Task<Outcome<RepositoryResponse>> CreateAsync(CreateRepositoryRequest input, CancellationToken ct)
    {
        var errors = new Validator();
        var name = errors.Required("name", input.Name);
        var provider = Provider(errors, input.Provider ?? RepositoryProviders.Other);
        var cloneUrl = CloneUrl(errors, input.CloneUrl);
        var branch = input.DefaultBranch is null ? "main" : errors.Required("default_branch", input.DefaultBranch, 255);
        await CheckProjectAsync(errors, input.ProjectId, ct);
        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        if (await db.Set<Repository>().AnyAsync(r => r.Name == name, ct))
        {
            return Answers.Taken(ProblemCodes.NameTaken, "name", "repository");
        }

        var repository = new Repository { Name = name, Provider = provider, CloneUrl = cloneUrl, DefaultBranch = branch, ProjectId = input.ProjectId };
        db.Add(repository);
        await db.SaveChangesAsync(ct);
        var response = repository.ToResponse();
        await db.RaiseAsync(DevContextEvents.RepositoryCreated, response, ct);
        return response;
    }

    public Task<CursorPage<RepositoryResponse>> ListAsync(RepositoryFilter filter, Keyset keyset, CancellationToken ct)
    {
        var repositories = db.Set<Repository>().AsNoTracking();
        if (filter.Provider is { } provider)
        {
            repositories = repositories.Where(r => r.Provider == provider);
        }

        if (filter.ProjectId is { } projectId)
        {
            repositories = repositories.Where(r => r.ProjectId == projectId);
        }

        if (filter.Name is { } name)
        {
            repositories = repositories.Where(r => r.Name == name);
        }

        if (filter.Search.Length > 0)
        {
            var pattern = WorkInput.Contains(filter.Search.ToLowerInvariant());
            repositories = repositories.Where(r => EF.Functions.Like(r.Name.ToLower(), pattern, "\\"));
        }

        return keyset.ToPageAsync(repositories, Sorts, r => r.ToResponse(), ct);
    }

    public async Task<RepositoryResponse?> GetAsync(Guid id, CancellationToken ct) =>
        (await db.Set<Repository>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct))?.ToResponse();

    /// <summary>Changes the members sent; <c>project_id</c> links it to a project (there is no unlinking but to another project or by deleting the project).</summary>
    public async Task<Outcome<RepositoryResponse>> UpdateAsync(Guid id, UpdateRepositoryRequest input, CancellationToken ct)
    {
        var repository = await db.Set<Repository>().FirstOrDefaultAsync(r => r.Id == id, ct);
        if (repository is null)
        {
            return Answers.RepositoryNotFound();
        }

        var errors = new Validator();
        var name = input.Name is null ? repository.Name : errors.Required("name", input.Name);
        var provider = input.Provider is null ? repository.Provider : Provider(errors, input.Provider);
        var cloneUrl = input.CloneUrl is null ? repository.CloneUrl : CloneUrl(errors, input.CloneUrl);
        var branch = input.DefaultBranch is null ? repository.DefaultBranch : errors.Required("default_branch", input.DefaultBranch, 255);
        await CheckProjectAsync(errors, input.ProjectId, ct);
        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        if (name != repository.Name && await db.Set<Repository>().AnyAsync(r => r.Name == name, ct))
        {
            return Answers.Taken(ProblemCodes.NameTaken, "name", "repository");
        }

        (repository.Name, repository.Provider, repository.CloneUrl, repository.DefaultBranch) = (name, provider, cloneUrl, branch);
        repository.ProjectId = input.ProjectId ?? repository.ProjectId;
        await db.SaveChangesAsync(ct);
        var response = repository.ToResponse();
        await db.RaiseAsync(DevContextEvents.RepositoryUpdated, response, ct);
        return response;
    }

    public async Task<Refusal?> DeleteAsync(Guid id, CancellationToken ct)
    {
        var repository = await db.Set<Repository>().FirstOrDefaultAsync(r => r.Id == id, ct);
        if (repository is null)
        {
            return Answers.RepositoryNotFound();
        }

        var response = repository.ToResponse();
        db.Remove(repository);
        await db.SaveChangesAsync(ct);
        await db.RaiseAsync(DevContextEvents.RepositoryDeleted, response, ct);
        return null;
    }

    private static string Provider(Validator errors, string provider)
    {
        if (!Providers.Contains(provider))
        {
            errors.Add("provider", $"must be one of {string.Join(", ", Providers)}.");
        }

        return provider;
    }

    private static string? CloneUrl(Validator errors, string? url)
    {
        var value = WorkInput.Optional(errors, "clone_url", url, 2000);
        // git takes https://, ssh://, git:// and scp-like user@host:path addresses; all have a scheme or an '@...:'.
        if (value is not null && !value.Contains("://", StringComparison.Ordinal) && !(value.Contains('@', StringComparison.Ordinal) && value.Contains(':', StringComparison.Ordinal)))
        {
            errors.Add("clone_url", "must be a git address, e.g. https://github.com/acme/app.git or git@github.com:acme/app.git.");
        }

        return value;
    }

    private async Task CheckProjectAsync(Validator errors, Guid? projectId, CancellationToken ct)
    {
        if (projectId is { } id && !await db.Set<Project>().AnyAsync(p => p.Id == id, ct))
        {
            errors.Add("project_id", "is not a project of this organization.");
        }
    }
}

internal static class RepositoryMapping
{
    public static RepositoryResponse ToResponse(this Repository r) =>
        new(r.Id, r.Name, r.Provider, r.CloneUrl, r.DefaultBranch, r.ProjectId, r.CommitCount, r.LastCommitAt, r.CreatedAt, r.UpdatedAt);
}

using System.Text;
using System.Text.Json.Nodes;
using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Audit;
using Coditect.Server.Data;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.DevContext.Plans;

/// <summary>
/// A project's plan and its history (scoped). Every change adds a version (the same content again adds none);
/// versions are read whole, listed newest first, and compared as a unified diff. A plan is at most
/// <see cref="MaxBytes"/> UTF-8 bytes: 413 <c>PAYLOAD_TOO_LARGE</c> with <c>limit</c> beyond that.
/// </summary>
public sealed class PlanHistory(CoditectDbContext db, TenantContext tenant)
{
    public const int MaxBytes = 1_048_576;

    /// <summary>The route's body limit: a 1 MiB plan escaped as JSON fits, whatever its characters.</summary>
    public const long BodyLimit = 2 * 1024 * 1024;

    public static readonly SortKeys<PlanVersion> Sorts = new SortKeys<PlanVersion>(v => v.Id, "version", true)
        .Add("version", v => v.Version).Add("created_at", v => v.CreatedAt);

    /// <summary>The current plan (version 0, empty, before the first), or null when no such project is visible.</summary>
    public async Task<PlanResponse?> GetAsync(Guid projectId, int? version, CancellationToken ct)
    {
        if (!await db.Set<Project>().AnyAsync(p => p.Id == projectId, ct))
        {
            return null;
        }

        var versions = db.Set<PlanVersion>().AsNoTracking().Where(v => v.ProjectId == projectId);
        var found = version is { } number
            ? await versions.FirstOrDefaultAsync(v => v.Version == number, ct)
            : await versions.OrderByDescending(v => v.Version).FirstOrDefaultAsync(ct);
        return found?.ToResponse() ?? (version is null or 0 ? Empty(projectId) : null);
    }

    public async Task<Outcome<PlanResponse>> PutAsync(Guid projectId, PutPlanRequest input, CancellationToken ct)
    {
        if (!await db.Set<Project>().AnyAsync(p => p.Id == projectId, ct))
        {
            return Answers.ProjectNotFound();
        }

        if (input.Content is null)
        {
            return Refusal.Invalid("content", "is required (an empty string empties the plan).");
        }

        var bytes = Encoding.UTF8.GetByteCount(input.Content);
        if (bytes > MaxBytes)
        {
            return new Refusal(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge,
                $"A plan is at most {MaxBytes:N0} bytes of UTF-8; this one has {bytes:N0}.",
                Extensions: new Dictionary<string, object?> { ["limit"] = MaxBytes, ["field"] = "content" });
        }

        var errors = new Validator();
        WorkInput.LongText(errors, "content", input.Content, int.MaxValue);
        var summary = WorkInput.Optional(errors, "summary", input.Summary, 500);
        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        // The project's row lock orders concurrent saves of one plan, so version numbers never collide.
        await db.Set<Project>().Where(p => p.Id == projectId).ExecuteUpdateAsync(u => u.SetProperty(p => p.UpdatedAt, p => p.UpdatedAt), ct);
        var current = await db.Set<PlanVersion>().AsNoTracking().Where(v => v.ProjectId == projectId)
            .OrderByDescending(v => v.Version).FirstOrDefaultAsync(ct);
        if (current is not null && current.Content == input.Content)
        {
            return current.ToResponse();
        }

        var now = db.UtcNow;
        var version = new PlanVersion
        {
            ProjectId = projectId,
            Version = (current?.Version ?? 0) + 1,
            Content = input.Content,
            ContentBytes = bytes,
            Summary = summary,
            AuthorId = tenant.UserId ?? tenant.ApiKeyCreatorId,
            CreatedAt = now,
        };
        db.Add(version);
        AuditRecorder.Explicit(db, tenant.TenantId!.Value, DevContextEvents.PlanUpdated, "plan", projectId, new JsonObject
        {
            ["version"] = new JsonObject { ["before"] = current?.Version ?? 0, ["after"] = version.Version },
            ["content_bytes"] = new JsonObject { ["before"] = current?.ContentBytes ?? 0, ["after"] = bytes },
            ["summary"] = new JsonObject { ["before"] = null, ["after"] = summary },
        }, now);
        await db.SaveChangesAsync(ct);
        // The event names the version; its content (up to 1 MiB) stays out of the outbox and every webhook delivery:
        // a subscriber that wants it reads GET .../plan/versions/{version}.
        await db.RaiseAsync(DevContextEvents.PlanUpdated, new
        {
            project_id = projectId,
            version = version.Version,
            content_bytes = bytes,
            summary,
            author_id = version.AuthorId,
            created_at = now,
        }, ct);
        return version.ToResponse();
    }

    /// <summary>The versions, newest first by default, without content; null when no such project is visible.</summary>
    public async Task<CursorPage<PlanVersionSummary>?> VersionsAsync(Guid projectId, Keyset keyset, CancellationToken ct)
    {
        if (!await db.Set<Project>().AnyAsync(p => p.Id == projectId, ct))
        {
            return null;
        }

        // The content stays in the database: the page reads every column but it, through a projection per row.
        var versions = db.Set<PlanVersion>().AsNoTracking().Where(v => v.ProjectId == projectId)
            .Select(v => new PlanVersion
            {
                Id = v.Id, ProjectId = v.ProjectId, Version = v.Version, Content = "", ContentBytes = v.ContentBytes,
                Summary = v.Summary, AuthorId = v.AuthorId, CreatedAt = v.CreatedAt,
            });
        return await keyset.ToPageAsync(versions, Sorts, v => new PlanVersionSummary(v.Version, v.ContentBytes, v.Summary, v.AuthorId, v.CreatedAt), ct);
    }

    /// <summary>
    /// The unified diff from version <paramref name="from"/> (default: the one before <paramref name="to"/>) to
    /// <paramref name="to"/> (default: the current one); version 0 is the empty plan.
    /// </summary>
    public async Task<Outcome<PlanDiffResponse>> DiffAsync(Guid projectId, int? from, int? to, CancellationToken ct)
    {
        if (!await db.Set<Project>().AnyAsync(p => p.Id == projectId, ct))
        {
            return Answers.ProjectNotFound();
        }

        var latest = await db.Set<PlanVersion>().Where(v => v.ProjectId == projectId).MaxAsync(v => (int?)v.Version, ct) ?? 0;
        var toVersion = to ?? latest;
        var fromVersion = from ?? Math.Max(0, toVersion - 1);
        var fromText = await ContentAsync(projectId, fromVersion, ct);
        var toText = await ContentAsync(projectId, toVersion, ct);
        if (fromText is null || toText is null)
        {
            return new Refusal(StatusCodes.Status404NotFound, ProblemCodes.PlanVersionNotFound, "The plan has no such version.",
                Extensions: new Dictionary<string, object?> { ["field"] = fromText is null ? "from" : "to", ["latest"] = latest });
        }

        var (diff, additions, deletions) = LineDiff.Unified(fromText, toText, $"v{fromVersion}", $"v{toVersion}");
        return new PlanDiffResponse(projectId, fromVersion, toVersion, additions, deletions, diff);
    }

    private async Task<string?> ContentAsync(Guid projectId, int version, CancellationToken ct) =>
        version == 0
            ? ""
            : await db.Set<PlanVersion>().Where(v => v.ProjectId == projectId && v.Version == version).Select(v => v.Content).FirstOrDefaultAsync(ct);

    private static PlanResponse Empty(Guid projectId) => new(projectId, 0, "", 0, null, null, null);
}

internal static class PlanMapping
{
    public static PlanResponse ToResponse(this PlanVersion v) => new(v.ProjectId, v.Version, v.Content, v.ContentBytes, v.Summary, v.AuthorId, v.CreatedAt);
}

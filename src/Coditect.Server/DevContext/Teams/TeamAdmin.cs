using Coditect.Contracts.Common;
using Coditect.Contracts.DevContext;
using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.DevContext.Teams;

/// <summary>
/// Team use cases (scoped), in the organization the permission check entered: create, list, read, update, delete,
/// and who is in a team (organization members only, each a lead or a member). Changes are audited from the save
/// (<c>team.*</c>, <c>team_member.*</c>) and raise <c>team.*</c> events.
/// </summary>
public sealed class TeamAdmin(CoditectDbContext db)
{
    public static readonly SortKeys<Team> Sorts = new SortKeys<Team>(t => t.Id, "name", false)
        .Add("name", t => t.Name).Add("slug", t => t.Slug).Add("created_at", t => t.CreatedAt).Add("updated_at", t => t.UpdatedAt);

    public async Task<Outcome<TeamResponse>> CreateAsync(CreateTeamRequest input, CancellationToken ct)
    {
        var errors = new Validator();
        var name = errors.Required("name", input.Name);
        var slug = TeamSlug(errors, input.Slug, name);
        var description = WorkInput.LongText(errors, "description", input.Description);
        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        if (await db.Set<Team>().AnyAsync(t => t.Slug == slug, ct))
        {
            return Answers.Taken(ProblemCodes.NameTaken, "slug", "team");
        }

        var team = new Team { Name = name, Slug = slug, Description = description };
        db.Add(team);
        await db.SaveChangesAsync(ct);
        var response = team.ToResponse([]);
        await db.RaiseAsync(DevContextEvents.TeamCreated, response, ct);
        return response;
    }

    public async Task<CursorPage<TeamResponse>> ListAsync(string search, Keyset keyset, CancellationToken ct)
    {
        var teams = db.Set<Team>().AsNoTracking();
        if (search.Length > 0)
        {
            var pattern = WorkInput.Contains(search.ToLowerInvariant());
            teams = teams.Where(t => EF.Functions.Like(t.Name.ToLower(), pattern, "\\") || EF.Functions.Like(t.Slug, pattern, "\\"));
        }

        var (rows, next) = await keyset.RowsAsync(teams, Sorts, ct);
        var members = await MembersAsync([.. rows.Select(t => t.Id)], ct);
        return new CursorPage<TeamResponse>([.. rows.Select(t => t.ToResponse(members[t.Id]))], keyset.PageSize, next);
    }

    public async Task<TeamResponse?> GetAsync(Guid id, CancellationToken ct)
    {
        var team = await db.Set<Team>().AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, ct);
        return team is null ? null : team.ToResponse((await MembersAsync([id], ct))[id]);
    }

    public async Task<Outcome<TeamResponse>> UpdateAsync(Guid id, UpdateTeamRequest input, CancellationToken ct)
    {
        var team = await db.Set<Team>().FirstOrDefaultAsync(t => t.Id == id, ct);
        if (team is null)
        {
            return Answers.TeamNotFound();
        }

        var errors = new Validator();
        var name = input.Name is null ? team.Name : errors.Required("name", input.Name);
        var slug = input.Slug is null ? team.Slug : TeamSlug(errors, input.Slug, name);
        var description = input.Description is null ? team.Description : WorkInput.LongText(errors, "description", input.Description);
        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        if (slug != team.Slug && await db.Set<Team>().AnyAsync(t => t.Slug == slug, ct))
        {
            return Answers.Taken(ProblemCodes.NameTaken, "slug", "team");
        }

        (team.Name, team.Slug, team.Description) = (name, slug, description);
        await db.SaveChangesAsync(ct);
        var response = team.ToResponse((await MembersAsync([id], ct))[id]);
        await db.RaiseAsync(DevContextEvents.TeamUpdated, response, ct);
        return response;
    }

    /// <summary>Deletes the team; its projects stay, without a team.</summary>
    public async Task<Refusal?> DeleteAsync(Guid id, CancellationToken ct)
    {
        var team = await db.Set<Team>().FirstOrDefaultAsync(t => t.Id == id, ct);
        if (team is null)
        {
            return Answers.TeamNotFound();
        }

        var response = team.ToResponse((await MembersAsync([id], ct))[id]);
        db.Remove(team);
        await db.SaveChangesAsync(ct);
        await db.RaiseAsync(DevContextEvents.TeamDeleted, response, ct);
        return null;
    }

    /// <summary>Adds an organization member to the team, or changes their team role (<c>lead</c> or <c>member</c>, default member).</summary>
    public async Task<Outcome<TeamResponse>> PutMemberAsync(Guid id, Guid userId, string? role, CancellationToken ct)
    {
        var team = await db.Set<Team>().FirstOrDefaultAsync(t => t.Id == id, ct);
        if (team is null)
        {
            return Answers.TeamNotFound();
        }

        role ??= TeamRoles.Member;
        var errors = new Validator();
        if (role is not (TeamRoles.Lead or TeamRoles.Member))
        {
            errors.Add("role", "must be lead or member.");
        }

        if (!await db.Set<Membership>().AnyAsync(m => m.UserId == userId, ct))
        {
            errors.Add("user_id", "must be a member of the organization.");
        }

        if (!errors.IsValid)
        {
            return Refusal.Invalid(errors);
        }

        var member = await db.Set<TeamMember>().FirstOrDefaultAsync(m => m.TeamId == id && m.UserId == userId, ct);
        if (member is null)
        {
            db.Add(new TeamMember { TeamId = id, UserId = userId, Role = role });
        }
        else
        {
            member.Role = role;
        }

        await db.SaveChangesAsync(ct);
        var response = team.ToResponse((await MembersAsync([id], ct))[id]);
        await db.RaiseAsync(DevContextEvents.TeamUpdated, response, ct);
        return response;
    }

    public async Task<Outcome<TeamResponse>> RemoveMemberAsync(Guid id, Guid userId, CancellationToken ct)
    {
        var team = await db.Set<Team>().FirstOrDefaultAsync(t => t.Id == id, ct);
        if (team is null)
        {
            return Answers.TeamNotFound();
        }

        var member = await db.Set<TeamMember>().FirstOrDefaultAsync(m => m.TeamId == id && m.UserId == userId, ct);
        if (member is null)
        {
            return Refusal.NotFound(ProblemCodes.MemberNotFound, "The team member");
        }

        db.Remove(member);
        await db.SaveChangesAsync(ct);
        var response = team.ToResponse((await MembersAsync([id], ct))[id]);
        await db.RaiseAsync(DevContextEvents.TeamUpdated, response, ct);
        return response;
    }

    /// <summary>Each team's members (people still in the organization), leads first, then by name.</summary>
    private async Task<Dictionary<Guid, List<TeamMemberResponse>>> MembersAsync(List<Guid> teamIds, CancellationToken ct)
    {
        var rows = await db.Set<TeamMember>().AsNoTracking().Where(m => teamIds.Contains(m.TeamId))
            .Join(db.Set<User>(), m => m.UserId, u => u.Id, (m, u) => new { m.TeamId, m.Role, u.Id, u.Email, u.Name })
            .Where(r => db.Set<Membership>().Any(o => o.UserId == r.Id))
            .ToListAsync(ct);
        var members = teamIds.Distinct().ToDictionary(id => id, _ => new List<TeamMemberResponse>());
        foreach (var row in rows.OrderBy(r => r.Role == TeamRoles.Lead ? 0 : 1).ThenBy(r => r.Name, StringComparer.Ordinal))
        {
            members[row.TeamId].Add(new TeamMemberResponse(row.Id, row.Email, row.Name, row.Role));
        }

        return members;
    }

    private static string TeamSlug(Validator errors, string? slug, string name)
    {
        if (slug is null)
        {
            return Slugs.FromName(name);
        }

        var value = slug.Trim();
        if (!Slugs.IsValid(value))
        {
            errors.Add("slug", "must be 3 to 63 lower-case letters, digits and single hyphens.");
        }

        return value;
    }
}

internal static class TeamMapping
{
    public static TeamResponse ToResponse(this Team t, IReadOnlyList<TeamMemberResponse> members) =>
        new(t.Id, t.Name, t.Slug, t.Description, members, t.CreatedAt, t.UpdatedAt);
}

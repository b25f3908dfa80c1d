using System.Text.Json;
using Coditect.Contracts.DevContext;
using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Organizations;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.DevContext.Pages;

/// <summary>What the Dev Context pages share: the organization's members by id, status names, and JSON bodies for the use cases' partial updates.</summary>
public static class WorkPages
{
    public sealed record Member(Guid Id, string Name, string Email);

    public static readonly IReadOnlyList<string> Statuses = [TaskStatuses.Todo, TaskStatuses.InProgress, TaskStatuses.Blocked, TaskStatuses.Done];

    public static readonly IReadOnlyList<string> Priorities = [TaskPriorities.Low, TaskPriorities.Medium, TaskPriorities.High, TaskPriorities.Urgent];

    public static string StatusName(string status) => status switch
    {
        TaskStatuses.Todo => "To do",
        TaskStatuses.InProgress => "In progress",
        TaskStatuses.Blocked => "Blocked",
        TaskStatuses.Done => "Done",
        _ => status,
    };

    public static string BadgeOf(string status) => status switch
    {
        TaskStatuses.Done => "ok",
        TaskStatuses.Blocked => "danger",
        TaskStatuses.InProgress => "warn",
        _ => "",
    };

    /// <summary>The organization's members (the assignee choices), by name; a board needs names for its cards' assignees.</summary>
    public static async Task<IReadOnlyList<Member>> MembersAsync(CoditectDbContext db, CancellationToken ct) =>
        await db.Set<Membership>().AsNoTracking()
            .Join(db.Set<User>(), m => m.UserId, u => u.Id, (m, u) => u)
            .OrderBy(u => u.Name).ThenBy(u => u.Id).Take(1000)
            .Select(u => new Member(u.Id, u.Name, u.Email)).ToListAsync(ct);

    /// <summary>A partial-update body as the API would receive it: the members given, null where a value is cleared.</summary>
    public static JsonElement Body(IReadOnlyDictionary<string, object?> members) => JsonSerializer.SerializeToElement(members);

    public static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

using System.Globalization;
using System.Text.Json.Nodes;
using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Organizations;
using Coditect.Server.Platform;
using Coditect.Server.WebConsole;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Audit.Pages;

/// <summary>
/// The organization's audit log, newest first, through the API's query (<see cref="AuditLog"/>): filtered by action,
/// actor, object and day range (a GET form, so a filtered view is a link), paged with the filters kept.
/// </summary>
[RequirePermission(Permission.ReadAudit)]
public sealed class AuditLogModel(CoditectDbContext db) : ConsolePage
{
    /// <summary>The actions the trail records today, offered as suggestions (the filter takes any exact action).</summary>
    public static readonly string[] KnownActions =
    [
        "organization.created", "organization.updated", "organization.suspended", "organization.unsuspended",
        "membership.created", "membership.updated", "membership.deleted",
        "invitation.created", "invitation.updated", "invitation.deleted",
        "api_key.created", "api_key.updated",
        "license.created", "license.updated", "license.deleted", "session.kicked",
        "machine.activated", "machine.deactivated", "license.file_issued",
        Staff.StaffAudit.OrganizationViewed, Staff.StaffAudit.LicensesExported,
    ];

    public static readonly string[] ObjectTypes = ["organization", "membership", "invitation", "api_key", "license", "license_session", "license_machine"];

    public sealed record Row(DateTime At, string Actor, string Action, string ObjectType, string ObjectId, string Changes);

    public sealed record Choice(Guid Id, string Label);

    public IReadOnlyList<Row> Events { get; private set; } = [];
    public IReadOnlyList<Choice> Actors { get; private set; } = [];
    public int Total { get; private set; }
    public int PageNumber { get; private set; } = 1;
    public int? PreviousPage { get; private set; }
    public int? NextPage { get; private set; }

    // The form's values as sent, shown back as they were typed.
    public string Action { get; private set; } = "";
    public string ActorId { get; private set; } = "";
    public string ObjectType { get; private set; } = "";
    public string ObjectId { get; private set; } = "";
    public string From { get; private set; } = "";
    public string To { get; private set; } = "";

    public bool IsFiltered => string.Concat(Action, ActorId, ObjectType, ObjectId, From, To).Length > 0;

    public async Task OnGetAsync(CancellationToken ct)
    {
        var query = Request.Query;
        (Action, ActorId, ObjectType, ObjectId, From, To) = (query["action"].ToString().Trim(), query["actor_id"].ToString().Trim(),
            query["object_type"].ToString().Trim(), query["object_id"].ToString().Trim(), query["from"].ToString().Trim(), query["to"].ToString().Trim());
        var errors = new Validator();
        var paging = Paging.Parse(Request, errors);
        var filter = ParseFilter(errors);
        ShowErrors(errors);

        var page = await paging.ToListAsync(AuditLog.Query(db, filter), e => e, ct);
        (Total, PageNumber, NextPage) = (page.Total, page.Page, page.NextPage);
        PreviousPage = page.Page > 1 ? page.Page - 1 : null;

        var people = await MembersAsync(ct);
        var keys = await db.Set<ApiKey>().AsNoTracking().OrderBy(k => k.Name).Select(k => new Choice(k.Id, k.Name)).ToListAsync(ct);
        Actors = [.. people.Select(p => new Choice(p.Key, p.Value)).OrderBy(p => p.Label, StringComparer.CurrentCultureIgnoreCase),
            .. keys.Select(k => new Choice(k.Id, "API key " + k.Label))];

        // Actors of this page who are no longer members (or staff who never were) still get their names.
        var missing = page.Items.Where(e => e.ActorType == "user" && e.ActorId is { } id && !people.ContainsKey(id)).Select(e => e.ActorId!.Value).Distinct().ToList();
        var others = missing.Count == 0 ? [] : await db.Set<User>().AsNoTracking().Where(u => missing.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Name, ct);
        var keyNames = keys.ToDictionary(k => k.Id, k => k.Label);
        Events = [.. page.Items.Select(e => new Row(
            DateTime.SpecifyKind(e.OccurredAt, DateTimeKind.Utc),
            ActorOf(e, people, others, keyNames), e.Action, e.ObjectType, e.ObjectId, Summarize(e.Changes)))];
    }

    /// <summary>The current filter as a query string (without the page), for the pager's and the table's links.</summary>
    public string QueryWith(int? page = null, string? objectType = null, string? objectId = null)
    {
        var parts = new List<string>();
        void Add(string name, string value)
        {
            if (value.Length > 0)
            {
                parts.Add($"{name}={Uri.EscapeDataString(value)}");
            }
        }

        Add("action", Action);
        Add("actor_id", ActorId);
        Add("object_type", objectType ?? ObjectType);
        Add("object_id", objectId ?? ObjectId);
        Add("from", From);
        Add("to", To);
        Add("page_size", Request.Query["page_size"].ToString());
        if (page is { } number)
        {
            Add("page", number.ToString(CultureInfo.InvariantCulture));
        }

        return parts.Count == 0 ? "" : "?" + string.Join("&", parts);
    }

    /// <summary>The form's fields as the API's filter: days in UTC, <c>to</c> taking its whole day.</summary>
    private AuditFilter ParseFilter(Validator errors)
    {
        Guid? actor = null;
        if (ActorId.Length > 0)
        {
            if (Guid.TryParse(ActorId, out var id))
            {
                actor = id;
            }
            else
            {
                errors.Add("actor_id", "is not a member or API key.");
            }
        }

        var filter = new AuditFilter(Text("action", Action, errors), Text("object_type", ObjectType, errors), Text("object_id", ObjectId, errors),
            actor, Day("from", From, errors), Day("to", To, errors)?.AddDays(1));
        return AuditFilter.Checked(filter, errors);
    }

    private static string Text(string field, string value, Validator errors)
    {
        if (WireText.Problem(value) is { } problem || value.Length > WireText.MaxParameterLength)
        {
            errors.Add(field, "is not valid.");
            return "";
        }

        return value;
    }

    private static DateTime? Day(string field, string value, Validator errors)
    {
        if (value.Length == 0)
        {
            return null;
        }

        if (!DateTime.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var day))
        {
            errors.Add(field, "must be a date, e.g. 2026-01-31.");
            return null;
        }

        return DateTime.SpecifyKind(day, DateTimeKind.Utc);
    }

    private async Task<Dictionary<Guid, string>> MembersAsync(CancellationToken ct) =>
        await db.Set<Membership>().Join(db.Set<User>(), m => m.UserId, u => u.Id, (m, u) => new { u.Id, u.Name })
            .ToDictionaryAsync(x => x.Id, x => x.Name, ct);

    private static string ActorOf(AuditEvent e, Dictionary<Guid, string> people, Dictionary<Guid, string> others, Dictionary<Guid, string> keys) =>
        (e.ActorType, e.ActorId) switch
        {
            ("user", { } id) => people.GetValueOrDefault(id) ?? others.GetValueOrDefault(id) ?? "a former user",
            ("api_key", { } id) => "API key " + (keys.GetValueOrDefault(id) ?? id.ToString()[..8]),
            _ => "system",
        };

    /// <summary>The changes in a line: <c>role: viewer → admin</c>, fields set from nothing as <c>field: value</c>; at most four.</summary>
    public static string Summarize(string changes)
    {
        if (JsonNode.Parse(changes) is not JsonObject fields)
        {
            return "";
        }

        var parts = new List<string>();
        foreach (var (name, change) in fields)
        {
            var before = Show(change?["before"]);
            var after = Show(change?["after"]);
            if (before is null && after is null)
            {
                continue;
            }

            parts.Add(before is null ? $"{name}: {after}" : after is null ? $"{name}: {before} → none" : $"{name}: {before} → {after}");
        }

        return parts.Count <= 4 ? string.Join("; ", parts) : string.Join("; ", parts.Take(4)) + $"; and {parts.Count - 4} more";
    }

    /// <summary>An id in a few characters: its last eight (the first ones of time-ordered ids are alike).</summary>
    public static string ShortId(string id) => id.Length > 8 ? "…" + id[^8..] : id;

    /// <summary>A value in a few characters: ids shortened, times to the minute, long text cut.</summary>
    private static string? Show(JsonNode? value) => value switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var text) => text switch
        {
            _ when Guid.TryParse(text, out _) => ShortId(text),
            _ when text.Length >= 20 && text[10] == 'T' && DateTime.TryParse(text, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time) => ConsoleViews.Time(time),
            { Length: > 40 } => text[..40] + "…",
            _ => text,
        },
        _ => value.ToJsonString(),
    };
}

using System.Globalization;
using System.Text.Json;
using Coditect.Contracts.Audit;
using Coditect.Server.Data;
using Coditect.Server.Platform;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Audit;

/// <summary>
/// Which audit events to list, all exact: <c>action</c>, <c>object_type</c>, <c>object_id</c>, <c>actor_id</c>, and a
/// time range <c>from</c> (inclusive) to <c>to</c> (exclusive). Empty parts match everything.
/// </summary>
public sealed record AuditFilter(string Action, string ObjectType, string ObjectId, Guid? ActorId, DateTime? From, DateTime? To)
{
    public static AuditFilter None { get; } = new("", "", "", null, null, null);

    /// <summary>Reads the API's query (times in RFC 3339); bad values are field errors under their wire names and read as empty.</summary>
    public static AuditFilter Parse(IQueryCollection query, Validator errors)
    {
        var actor = query["actor_id"].ToString();
        Guid? actorId = null;
        if (actor.Length > 0)
        {
            if (Guid.TryParse(actor, out var id))
            {
                actorId = id;
            }
            else
            {
                errors.Add("actor_id", "must be a user or API key id (a UUID).");
            }
        }

        return Checked(new AuditFilter(
            Text(query, "action", errors), Text(query, "object_type", errors), Text(query, "object_id", errors),
            actorId, Time(query, "from", errors), Time(query, "to", errors)), errors);
    }

    /// <summary>The range must run forwards: <c>from</c> before <c>to</c>.</summary>
    public static AuditFilter Checked(AuditFilter filter, Validator errors)
    {
        if (filter.From is { } from && filter.To is { } to && from >= to)
        {
            errors.Add("from", "must be before to.");
            return filter with { From = null, To = null };
        }

        return filter;
    }

    /// <summary>Exact text; the API's pipeline has checked it already, a console page's query has not.</summary>
    private static string Text(IQueryCollection query, string name, Validator errors)
    {
        var value = query[name].ToString();
        if (WireText.Problem(value) is { } problem)
        {
            errors.Add(name, problem);
            return "";
        }

        if (value.Length > WireText.MaxParameterLength)
        {
            errors.Add(name, $"must be at most {WireText.MaxParameterLength} characters.");
            return "";
        }

        return value;
    }

    private static DateTime? Time(IQueryCollection query, string name, Validator errors)
    {
        var raw = query[name].ToString();
        if (raw.Length == 0)
        {
            return null;
        }

        if (raw.Length > 64 || !DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            errors.Add(name, "must be an RFC 3339 time, e.g. 2026-01-31T00:00:00Z.");
            return null;
        }

        return value.UtcDateTime;
    }
}

/// <summary>The organization's audit trail as the API and the console list it: newest first, filtered.</summary>
public static class AuditLog
{
    private static readonly JsonSerializerOptions ChangeJson = new() { PropertyNameCaseInsensitive = true };

    /// <summary>The events of the organization in scope that <paramref name="filter"/> lets through, newest first.</summary>
    public static IQueryable<AuditEvent> Query(CoditectDbContext db, AuditFilter filter)
    {
        IQueryable<AuditEvent> events = db.Set<AuditEvent>().AsNoTracking();
        if (filter.ObjectType.Length > 0)
        {
            events = events.Where(e => e.ObjectType == filter.ObjectType);
        }

        if (filter.ObjectId.Length > 0)
        {
            events = events.Where(e => e.ObjectId == filter.ObjectId);
        }

        if (filter.Action.Length > 0)
        {
            events = events.Where(e => e.Action == filter.Action);
        }

        if (filter.ActorId is { } actorId)
        {
            events = events.Where(e => e.ActorId == actorId);
        }

        if (filter.From is { } from)
        {
            events = events.Where(e => e.OccurredAt >= from);
        }

        if (filter.To is { } to)
        {
            events = events.Where(e => e.OccurredAt < to);
        }

        return events.OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id);
    }

    public static AuditEventResponse ToResponse(AuditEvent e) => new(
        e.Id, e.Action, e.ObjectType, e.ObjectId, new AuditActor(e.ActorType, e.ActorId),
        JsonSerializer.Deserialize<Dictionary<string, AuditChange>>(e.Changes, ChangeJson) ?? [],
        e.RequestId, DateTime.SpecifyKind(e.OccurredAt, DateTimeKind.Utc));
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Audit;
using Coditect.Server.Billing;
using Coditect.Server.Data;
using Coditect.Server.Licensing.Ledger;
using Coditect.Server.Licensing.Machines;
using Coditect.Server.Licensing.Queue;
using Coditect.Server.Platform;
using Coditect.Server.Platform.Outbox;
using Microsoft.EntityFrameworkCore;

namespace Coditect.Server.Licensing.Admin;

/// <summary>
/// The vendor's licence use cases, shared by the API's endpoints and the console's pages (scoped): the input rules
/// (field errors under their wire names), create with the key made and shown once, list, update, suspend, reinstate,
/// renew, delete, the sessions and their kick, and the usage history. Each runs in the caller's transaction, in the
/// organization its permission check entered, and raises its outbox event there; the audit trail follows from the
/// save (<c>license.*</c>) or is written explicitly (<c>session.kicked</c>). Callers decide how to answer.
/// </summary>
public sealed class LicenseAdmin(CoditectDbContext db, ISeatLedger ledger, TimeProvider clock, Quotas quotas, QueueOfferer offerer)
{
    private static readonly TimeSpan MaxHourRange = TimeSpan.FromDays(31);
    private static readonly TimeSpan MaxDayRange = TimeSpan.FromDays(366);

    /// <summary>
    /// What a use case did: the licence as the API shows it, or the field errors, or a refusal (402
    /// <c>QUOTA_EXCEEDED</c>, 409 <c>LICENSE_MANAGED</c>; its title is also among the errors, for a form), or none of
    /// them (<see cref="NotFound"/>) when no such licence is visible.
    /// </summary>
    public sealed record Outcome(LicenseResponse? License, Validator Errors, Refusal? Refusal = null)
    {
        public bool Succeeded => License is not null;
        public bool NotFound => License is null && Errors.IsValid && Refusal is null;

        internal static Outcome Missing() => new(null, new Validator());

        internal static Outcome Refused(Refusal refusal, Validator errors, string field)
        {
            errors.Add(field, refusal.Title);
            return new(null, errors, refusal);
        }
    }

    /// <summary>A list's filters: <c>status</c> (active, suspended, expired or empty for all) and <c>search</c> (the name contains it).</summary>
    public sealed record LicenseFilter(string Status, string Search)
    {
        public static LicenseFilter All { get; } = new("", "");

        /// <summary>Reads <c>status</c> and <c>search</c> from the query; bad values are field errors and read as empty.</summary>
        public static LicenseFilter Parse(IQueryCollection query, Validator errors)
        {
            var status = query["status"].ToString();
            if (status.Length > 0 && status is not (LicenseStatuses.Active or LicenseStatuses.Suspended or LicenseStatuses.Expired))
            {
                errors.Add("status", "must be active, suspended or expired.");
                status = "";
            }

            var search = query["search"].ToString().Trim();
            if (WireText.Problem(search) is { } problem)
            {
                errors.Add("search", problem);
                search = "";
            }
            else if (search.Length > 200)
            {
                errors.Add("search", "must be at most 200 characters.");
                search = "";
            }

            return new LicenseFilter(status, search);
        }
    }

    /// <summary>A usage query: <c>from</c> (rounded down to the bucket), <c>to</c> (exclusive) and the bucket, one hour or one day.</summary>
    public sealed record UsageRange(DateTime From, DateTime To, string Bucket)
    {
        public TimeSpan Step => Bucket == "day" ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1);
    }

    /// <summary>Creates a licence; its <c>license_key</c> is in this answer only. <paramref name="errors"/> may hold the caller's own parse errors.</summary>
    public async Task<Outcome> CreateAsync(CreateLicenseRequest input, Validator errors, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var name = errors.Required("name", input.Name);
        var seats = LicenseInput.Seats(errors, input.SeatsTotal);
        var expiresAt = LicenseInput.FutureExpiry(errors, input.ExpiresAt, now);
        var entitlements = LicenseInput.Entitlements(errors, input.Entitlements);
        var metadata = LicenseInput.Metadata(errors, input.Metadata);
        var type = LicenseInput.Type(errors, input.Type);
        var borrowMaxHours = LicenseInput.BorrowMaxHours(errors, input.BorrowMaxHours ?? 0);
        if (!errors.IsValid)
        {
            return new Outcome(null, errors);
        }

        if (await quotas.EnsureWithinAsync(Quota.SeatsPerLicense, seats, 0, ct) is { } tooMany)
        {
            return Outcome.Refused(tooMany, errors, "seats_total");
        }

        if (await quotas.EnsureRoomAsync(Quota.Licenses, 1, ct) is { } exceeded)
        {
            return Outcome.Refused(exceeded, errors, "name");
        }

        var key = LicenseKeys.New();
        var license = new License
        {
            Name = name,
            KeyHash = LicenseKeys.Hash(key),
            KeyPreview = LicenseKeys.Preview(key),
            SeatsTotal = seats,
            ExpiresAt = expiresAt,
            State = LicenseState.Active,
            Type = type,
            Entitlements = entitlements,
            Metadata = metadata,
            BorrowMaxHours = borrowMaxHours,
        };
        db.Add(license);
        await db.SaveChangesAsync(ct);
        await db.RaiseAsync(LicensingEvents.Created, license.ToResponse(0, now), ct);
        return new Outcome(license.ToResponse(0, now, key), errors);
    }

    /// <summary>A page of licences, newest first.</summary>
    public Task<PagedList<LicenseResponse>> ListAsync(LicenseFilter filter, Paging paging, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var licenses = db.Set<License>().AsNoTracking();
        licenses = filter.Status switch
        {
            LicenseStatuses.Suspended => licenses.Where(l => l.State == LicenseState.Suspended),
            LicenseStatuses.Expired => licenses.Where(l => l.State == LicenseState.Active && l.ExpiresAt != null && l.ExpiresAt <= now),
            LicenseStatuses.Active => licenses.Where(l => l.State == LicenseState.Active && (l.ExpiresAt == null || l.ExpiresAt > now)),
            _ => licenses,
        };
        if (filter.Search.Length > 0)
        {
            var pattern = $"%{filter.Search.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_")}%";
            licenses = licenses.Where(l => EF.Functions.Like(l.Name.ToLower(), pattern.ToLower(), "\\"));
        }

        var open = QueueTicket.OpenAt(now);
        var rows = licenses.OrderByDescending(l => l.CreatedAt).ThenByDescending(l => l.Id)
            .Select(l => new
            {
                License = l,
                Used = l.Type == LicenseType.NodeLocked
                    ? db.Set<LicenseMachine>().Count(m => m.LicenseId == l.Id)
                    : db.Set<LicenseSession>().Count(s => s.LicenseId == l.Id && s.Status == SessionState.Active && s.ExpiresAt > now),
                Queued = db.Set<QueueTicket>().Where(open).Count(t => t.LicenseId == l.Id),
            });
        return paging.ToListAsync(rows, r => r.License.ToResponse(r.Used, now, queueLength: r.Queued), ct);
    }

    /// <summary>The licence, or null when none is visible.</summary>
    public async Task<LicenseResponse?> GetAsync(Guid id, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var license = await db.Set<License>().AsNoTracking().FirstOrDefaultAsync(l => l.Id == id, ct);
        return license?.ToResponse(await LicenseEndpoints.SeatsUsedAsync(db, id, now, ct), now, queueLength: await QueueLengthAsync(id, ct));
    }

    /// <summary>Changes the members <paramref name="update"/> sets. <paramref name="errors"/> may hold the caller's own parse errors.</summary>
    public async Task<Outcome> UpdateAsync(Guid id, LicenseUpdate update, Validator errors, CancellationToken ct)
    {
        if (update.SeatsTotal is { Value: { } wanted } && await db.Set<License>().AsNoTracking().FirstOrDefaultAsync(l => l.Id == id, ct) is { } current
            && current.ManagedBy is null && await quotas.EnsureWithinAsync(Quota.SeatsPerLicense, wanted, current.SeatsTotal, ct) is { } tooMany)
        {
            return Outcome.Refused(tooMany, errors, "seats_total"); // lowering is always allowed; growing past the plan is not
        }

        return await ChangeAsync(id, LicensingEvents.Updated, errors, (license, now) =>
        {
            if (update.Name is { } name)
            {
                license.Name = errors.Required("name", name.Value);
            }

            if (update.SeatsTotal is { } seats)
            {
                // Lowering below the seats in use keeps live sessions; acquires wait until use is under the limit.
                license.SeatsTotal = LicenseInput.Seats(errors, seats.Value);
            }

            if (update.ExpiresAt is { } expiresAt)
            {
                license.ExpiresAt = expiresAt.Value is null ? null : LicenseInput.FutureExpiry(errors, expiresAt.Value, now);
            }

            if (update.Entitlements is { } entitlements)
            {
                license.Entitlements = LicenseInput.Entitlements(errors, entitlements.Value);
            }

            if (update.Metadata is { } metadata)
            {
                license.Metadata = LicenseInput.Metadata(errors, metadata.Value);
            }

            if (update.Type is { } type)
            {
                // Changing the type keeps what the licence has (live leases lapse, activated machines stay listed); from
                // then on the other protocol is refused (acquire: LICENSE_NODE_LOCKED, activate: LICENSE_NOT_NODE_LOCKED).
                license.Type = type.Value is null ? LicenseType.Floating : LicenseInput.Type(errors, type.Value);
            }

            if (update.BorrowMaxHours is { } borrowMaxHours)
            {
                // Seats already borrowed keep their time; the new limit applies to the next borrow.
                license.BorrowMaxHours = LicenseInput.BorrowMaxHours(errors, borrowMaxHours.Value);
            }
        }, ct);
    }

    /// <summary>Suspends the licence: acquires and heartbeats are refused; live leases lapse within one lease.</summary>
    public Task<Outcome> SuspendAsync(Guid id, CancellationToken ct) =>
        ChangeAsync(id, LicensingEvents.Suspended, new Validator(), (license, _) => license.State = LicenseState.Suspended, ct);

    public Task<Outcome> ReinstateAsync(Guid id, CancellationToken ct) =>
        ChangeAsync(id, LicensingEvents.Reinstated, new Validator(), (license, _) => license.State = LicenseState.Active, ct);

    /// <summary>Sets the licence's new expiry, which is required and in the future.</summary>
    public Task<Outcome> RenewAsync(Guid id, DateTime? expiresAt, Validator errors, CancellationToken ct) =>
        ChangeAsync(id, LicensingEvents.Renewed, errors, (license, now) =>
        {
            if (expiresAt is null)
            {
                errors.Add("expires_at", "is required.");
                return;
            }

            license.ExpiresAt = LicenseInput.FutureExpiry(errors, expiresAt, now);
        }, ct);

    /// <summary>
    /// Deletes the licence with its sessions and usage (every seat is free at once); null when done, else 404
    /// <c>LICENSE_NOT_FOUND</c> or 409 <c>LICENSE_MANAGED</c>.
    /// </summary>
    public async Task<Refusal?> DeleteAsync(Guid id, CancellationToken ct)
    {
        var license = await db.Set<License>().FirstOrDefaultAsync(l => l.Id == id, ct);
        if (license is null)
        {
            return Refusal.NotFound(ProblemCodes.LicenseNotFound, "The licence");
        }

        if (license.ManagedBy is not null)
        {
            return Managed();
        }

        var now = clock.GetUtcNow().UtcDateTime;
        await db.RaiseAsync(LicensingEvents.Deleted, license.ToResponse(await LicenseEndpoints.SeatsUsedAsync(db, id, now, ct), now), ct);
        db.Remove(license); // its sessions and usage go with it (ON DELETE CASCADE): every seat is free at once
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>Reads the sessions' <c>status</c> filter (active, expired, released, kicked or empty for all).</summary>
    public static string ParseSessionStatus(IQueryCollection query, Validator errors)
    {
        var status = query["status"].ToString();
        if (status.Length > 0 && status is not (SessionStatuses.Active or SessionStatuses.Expired or SessionStatuses.Released or SessionStatuses.Kicked))
        {
            errors.Add("status", "must be active, expired, released or kicked.");
            return "";
        }

        return status;
    }

    /// <summary>
    /// A page of the licence's sessions, newest first, or null when no such licence is visible. <paramref name="status"/>:
    /// active (holding a seat now), expired (lapsed, swept or not), released, kicked, or empty for all.
    /// </summary>
    public async Task<PagedList<SessionResponse>?> SessionsAsync(Guid licenseId, string status, Paging paging, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (!await db.Set<License>().AnyAsync(l => l.Id == licenseId, ct))
        {
            return null;
        }

        var sessions = db.Set<LicenseSession>().AsNoTracking().Where(s => s.LicenseId == licenseId);
        sessions = status switch
        {
            SessionStatuses.Active => sessions.Where(s => s.Status == SessionState.Active && s.ExpiresAt > now),
            SessionStatuses.Expired => sessions.Where(s => s.Status == SessionState.Expired || (s.Status == SessionState.Active && s.ExpiresAt <= now)),
            SessionStatuses.Released => sessions.Where(s => s.Status == SessionState.Released),
            SessionStatuses.Kicked => sessions.Where(s => s.Status == SessionState.Kicked),
            _ => sessions,
        };
        var ordered = sessions.OrderByDescending(s => s.StartedAt).ThenByDescending(s => s.Id);
        return await paging.ToListAsync(ordered, s => s.ToResponse(now), ct);
    }

    /// <summary>
    /// The newest <paramref name="limit"/> live sessions of a licence just read (<paramref name="license"/>, whose
    /// <c>SeatsUsed</c> counts them): the console's live table, without counting a hot licence's thousands of sessions
    /// a second time.
    /// </summary>
    public async Task<PagedList<SessionResponse>> LiveSessionsAsync(LicenseResponse license, int limit, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var items = await db.Set<LicenseSession>().AsNoTracking()
            .Where(s => s.LicenseId == license.Id && s.Status == SessionState.Active && s.ExpiresAt > now)
            .OrderByDescending(s => s.StartedAt).ThenByDescending(s => s.Id)
            .Take(limit).ToListAsync(ct);
        var total = Math.Max(license.SeatsUsed, items.Count);
        return new PagedList<SessionResponse>([.. items.Select(s => s.ToResponse(now))], 1, limit, total, total > limit ? 2 : null);
    }

    /// <summary>One session of the licence, or null when the licence has no such session.</summary>
    public async Task<SessionResponse?> SessionAsync(Guid licenseId, Guid sessionId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var session = await db.Set<LicenseSession>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == sessionId && s.LicenseId == licenseId, ct);
        return session?.ToResponse(now);
    }

    /// <summary>
    /// An admin ends a session through the ledger: its seat is free at once and its next heartbeat, on any node, answers
    /// 410 SESSION_RELEASED (the <c>session.kicked</c> event reaches every node's cache through the outbox). A session
    /// already over is left as it is. Null when no such session is visible.
    /// </summary>
    public async Task<KickResult?> KickAsync(Guid sessionId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var kicked = await ledger.KickAsync(db, sessionId, now, ct);
        if (kicked is { Freed: true })
        {
            var session = kicked.Session;
            AuditRecorder.Explicit(db, session.TenantId, "session.kicked", "license_session", session.Id, new JsonObject
            {
                ["status"] = new JsonObject { ["before"] = SessionStatuses.Active, ["after"] = SessionStatuses.Kicked },
                ["license_id"] = new JsonObject { ["before"] = session.LicenseId.ToString(), ["after"] = session.LicenseId.ToString() },
                ["hardware_id"] = new JsonObject { ["before"] = session.HardwareId, ["after"] = session.HardwareId },
            }, now);
            await db.RaiseAsync(LicensingEvents.SessionKicked, session.ToResponse(now), ct);
            await db.SaveChangesAsync(ct);
            offerer.Poke(session.LicenseId); // a machine waiting in the queue is offered the seat (after the commit: the job retries)
        }

        return kicked;
    }

    /// <summary>The machines waiting in the licence's seat queue now: tickets waiting, or offered within their claim window.</summary>
    public Task<int> QueueLengthAsync(Guid licenseId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return db.Set<QueueTicket>().Where(QueueTicket.OpenAt(now)).CountAsync(t => t.LicenseId == licenseId, ct);
    }

    /// <summary>
    /// Reads <c>from</c>, <c>to</c> (RFC 3339) and <c>bucket</c> (hour or day). Defaults: the last 24 hours by hour, or the
    /// last 30 days by day; <c>from</c> is rounded down to the bucket; at most 31 days by hour, 366 by day.
    /// </summary>
    public UsageRange ParseUsageRange(IQueryCollection query, Validator errors)
    {
        var bucket = query["bucket"].ToString() is { Length: > 0 } b ? b : "hour";
        if (bucket is not ("hour" or "day"))
        {
            errors.Add("bucket", "must be hour or day.");
        }

        var step = bucket == "day" ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1);
        var now = clock.GetUtcNow().UtcDateTime;
        var to = ParseTime(query, "to", errors) ?? now;
        var from = ParseTime(query, "from", errors) ?? to - (bucket == "day" ? TimeSpan.FromDays(30) : TimeSpan.FromDays(1));
        from = Floor(from, step);
        if (from >= to)
        {
            errors.Add("from", "must be before to.");
        }
        else if (to - from > (bucket == "day" ? MaxDayRange : MaxHourRange))
        {
            errors.Add("to", $"the range may span at most {(bucket == "day" ? "366 days by day" : "31 days by hour")}.");
        }

        return new UsageRange(from, to, bucket);
    }

    /// <summary>
    /// Seat use over time, from the hourly roll-up, or null when no such licence is visible. Every bucket in the range
    /// is present; an hour without events carries the seat count left by the last event before it.
    /// </summary>
    public async Task<UsageResponse?> UsageAsync(Guid licenseId, UsageRange range, CancellationToken ct)
    {
        if (!await db.Set<License>().AnyAsync(l => l.Id == licenseId, ct))
        {
            return null;
        }

        var (from, to, step) = (range.From, range.To, range.Step);
        var hours = await db.Set<LicenseUsage>().AsNoTracking()
            .Where(u => u.LicenseId == licenseId && u.HourStart >= from && u.HourStart < to)
            .OrderBy(u => u.HourStart).ToListAsync(ct);
        var before = await db.Set<LicenseUsage>().AsNoTracking()
            .Where(u => u.LicenseId == licenseId && u.HourStart < from)
            .OrderByDescending(u => u.HourStart).Select(u => (int?)u.LastSeatsUsed).FirstOrDefaultAsync(ct);

        var buckets = new List<UsageBucket>();
        var carried = before ?? 0;
        var index = 0;
        for (var start = from; start < to; start += step)
        {
            var end = start + step;
            int peak = carried, acquisitions = 0, denials = 0, queueDenials = 0, queueGrants = 0;
            long queueWait = 0;
            for (; index < hours.Count && hours[index].HourStart < end; index++)
            {
                var hour = hours[index];
                peak = Math.Max(peak, hour.PeakSeatsUsed);
                acquisitions += hour.Acquisitions;
                denials += hour.Denials;
                queueDenials += hour.QueueDenials;
                queueGrants += hour.QueueGrants;
                queueWait += hour.QueueWaitSeconds;
                carried = hour.LastSeatsUsed;
            }

            buckets.Add(new UsageBucket(start, peak, acquisitions, denials, queueDenials, queueGrants, queueWait));
        }

        return new UsageResponse(licenseId, from, to, range.Bucket, buckets);
    }

    /// <summary>
    /// The licence change behind update, suspend, reinstate and renew: load, change, validate, save, raise the event
    /// (every node's ledger hears it).
    /// </summary>
    private async Task<Outcome> ChangeAsync(Guid id, string type, Validator errors, Action<License, DateTime> change, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var license = await db.Set<License>().FirstOrDefaultAsync(l => l.Id == id, ct);
        if (license is null)
        {
            return Outcome.Missing();
        }

        if (license.ManagedBy is not null)
        {
            return Outcome.Refused(Managed(), errors, "license");
        }

        change(license, now);
        if (!errors.IsValid)
        {
            return new Outcome(null, errors);
        }

        await db.SaveChangesAsync(ct);
        var response = license.ToResponse(await LicenseEndpoints.SeatsUsedAsync(db, id, now, ct), now);
        await db.RaiseAsync(type, response, ct);
        return new Outcome(response, errors);
    }

    /// <summary>409 <c>LICENSE_MANAGED</c>: billing owns the product licence; the subscription changes it.</summary>
    public static Refusal Managed() => Refusal.Conflict(ProblemCodes.LicenseManaged,
        "Billing manages this licence: change the organization's subscription instead.");

    private static DateTime? ParseTime(IQueryCollection query, string name, Validator errors)
    {
        var raw = query[name].ToString();
        if (raw.Length == 0)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            errors.Add(name, "must be an RFC 3339 time, e.g. 2026-01-31T00:00:00Z.");
            return null;
        }

        return value.UtcDateTime;
    }

    private static DateTime Floor(DateTime time, TimeSpan step) => new(time.Ticks - (time.Ticks % step.Ticks), DateTimeKind.Utc);
}

/// <summary>
/// A partial update of a licence: only the members given change (<see cref="Given{T}"/> tells a member sent as null
/// from one left out). A null <c>ExpiresAt</c> makes the licence perpetual; null entitlements or metadata empty them;
/// a null name or seat count is an error.
/// </summary>
public sealed record LicenseUpdate
{
    public Given<string?>? Name { get; init; }
    public Given<int?>? SeatsTotal { get; init; }
    public Given<DateTime?>? ExpiresAt { get; init; }
    public Given<IReadOnlyList<string>?>? Entitlements { get; init; }
    public Given<Dictionary<string, JsonElement>?>? Metadata { get; init; }
    public Given<string?>? Type { get; init; }
    public Given<int?>? BorrowMaxHours { get; init; }
}

/// <summary>A value the caller gave, null included.</summary>
public readonly record struct Given<T>(T Value);

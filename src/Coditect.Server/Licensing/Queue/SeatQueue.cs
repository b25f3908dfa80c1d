using System.Security.Cryptography;
using System.Text;
using Coditect.Server.Data;
using Coditect.Server.Licensing.Ledger;
using Coditect.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Licensing.Queue;

/// <summary>A ticket as its holder sees it: its place (1 at the head, 0 once not waiting) and a rough wait.</summary>
public sealed record QueueView(QueueTicket Ticket, int Position, int EstimatedWaitSeconds);

/// <summary>The queue in front of a plain acquire: how many tickets are open, and whether this machine holds a seat.</summary>
public readonly record struct QueueGate(LicenseSnapshot? License, int QueueLength, bool HoldsSeat)
{
    /// <summary>A plain acquire that would jump the queue: tickets are open and this machine holds no seat to renew.</summary>
    public bool Blocks => QueueLength > 0 && !HoldsSeat;
}

/// <summary>
/// The fair seat queue of a licence (Licensing/README.md, "Seat queue"). Tickets are rows of <c>license_queue_tickets</c> in the
/// database of every topology (PostgreSQL in Redis mode too: the gate is PostgreSQL's), so a node that dies loses none.
/// An offered seat is a session of the ticket's machine taken through the seat ledger with a lease of
/// <c>Licensing:QueueClaimSeconds</c>: the seat counts as taken by the ledger's own rule, and the claim (an acquire with
/// the ticket, the same key and hardware id) renews that session into a full lease. Cross-tenant by nature (a ticket or
/// a key is the credential, the offer job serves every licence): it runs as system (Tenancy/README.md).
/// </summary>
public sealed class SeatQueue(
    CoditectDbContext db, IServiceScopeFactory scopes, IOptions<LicensingOptions> options, TimeProvider clock, ILogger<SeatQueue> logger,
    Npgsql.NpgsqlDataSource? postgres = null)
{
    public const string TicketPrefix = "qt_";

    private static readonly System.Buffers.SearchValues<char> Base64Url =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    private IQueryable<QueueTicket> Tickets => db.Set<QueueTicket>().IgnoreQueryFilters();
    private IQueryable<License> Licenses => db.Set<License>().IgnoreQueryFilters();
    private IQueryable<LicenseSession> Sessions => db.Set<LicenseSession>().IgnoreQueryFilters();

    private LicensingOptions Options => options.Value;

    /// <summary>A new ticket: 128 random bits, base64url, behind <see cref="TicketPrefix"/>.</summary>
    public static string NewTicket() => TicketPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>True when <paramref name="ticket"/> has the form of a ticket (a cheap check before any lookup).</summary>
    public static bool IsWellFormed(string? ticket) =>
        ticket is { Length: 25 } && ticket.StartsWith(TicketPrefix, StringComparison.Ordinal)
        && ticket.AsSpan(TicketPrefix.Length).IndexOfAnyExcept(Base64Url) < 0;

    public static string Hash(string ticket) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ticket)));

    /// <summary>The server's clock, to the microsecond both databases store.</summary>
    public DateTime Now()
    {
        var ticks = clock.GetUtcNow().UtcTicks;
        return new DateTime(ticks - (ticks % 10), DateTimeKind.Utc);
    }

    /// <summary>Before a plain acquire: the open tickets of the licence the key names, and whether this machine holds a seat.</summary>
    public Task<QueueGate> GateAsync(string keyHash, string hardwareId, DateTime now, CancellationToken ct) =>
        // PostgreSQL's data source is registered on PostgreSQL only (null on SQLite).
        postgres is { } source
            ? GateOnPostgresAsync(source, keyHash, hardwareId, now, ct)
            : ReadAsync(async () =>
    {
        // One round trip on every plain acquire: the licence and its open tickets together.
        var isOpen = QueueTicket.OpenAt(now);
        var license = await Licenses.AsNoTracking().Where(l => l.KeyHash == keyHash)
            .Select(l => new
            {
                l.Id, l.TenantId, l.SeatsTotal, l.State, l.ExpiresAt,
                Open = db.Set<QueueTicket>().IgnoreQueryFilters().Where(isOpen).Count(t => t.LicenseId == l.Id),
            })
            .FirstOrDefaultAsync(ct);
        if (license is null)
        {
            return new QueueGate(null, 0, false);
        }

        var open = license.Open;
        var holds = open > 0 && await Sessions.AnyAsync(
            s => s.LicenseId == license.Id && s.HardwareId == hardwareId && s.Status == SessionState.Active && s.ExpiresAt > now, ct);
        // Enough of the licence to join its queue; the ledger's refusals (suspension, expiry) are checked on the way.
        return new QueueGate(new LicenseSnapshot(license.Id, license.TenantId, license.SeatsTotal, license.State, license.ExpiresAt, []), open, holds);
    }, ct);

    // $1 key hash, $2 now, $3 hardware id: the query above in one statement. The ticket states are stored lower-case; the
    // session is probed with the licence id as an InitPlan, as the ledger's statements do (PostgresSeatLedger.Sql.cs).
    private const string GateSql = """
        SELECT l.id, l.tenant_id, l.seats_total, l.state, l.expires_at, o.open,
               o.open > 0 AND EXISTS (SELECT 1 FROM license_sessions s
                                      WHERE s.license_id = (SELECT k.id FROM licenses k WHERE k.key_hash = $1)
                                        AND s.hardware_id = $3 AND s.status = 'active' AND s.expires_at > $2)
        FROM licenses l
        CROSS JOIN LATERAL (SELECT count(*)::int AS open FROM license_queue_tickets t
                            WHERE t.license_id = l.id AND t.state IN ('waiting', 'offered')
                              AND ((t.state = 'waiting' AND t.expires_at > $2) OR (t.state = 'offered' AND t.offer_expires_at > $2))) o
        WHERE l.key_hash = $1
        """;

    /// <summary>
    /// The gate on PostgreSQL in ONE round trip, without EF: every plain acquire reads it, and through EF (the context's
    /// services, a transaction, the tenant settings, the LINQ query, the commit) it cost the server more CPU than the
    /// ledger's own batch (docs/performance.md, "A hot licence's acquire"). A batch is one implicit transaction, so the
    /// system setting that opens row-level security to the key's licence ends with it, as RunAsSystemAsync's does. Its
    /// callers (acquire, borrow) run in no transaction of their own.
    /// </summary>
    private static async Task<QueueGate> GateOnPostgresAsync(
        Npgsql.NpgsqlDataSource postgres, string keyHash, string hardwareId, DateTime now, CancellationToken ct)
    {
        await using var connection = await postgres.OpenConnectionAsync(ct);
        await using var batch = new Npgsql.NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new("SELECT set_config('app.system', 'on', true)"),
                new(GateSql)
                {
                    Parameters =
                    {
                        new() { Value = keyHash },
                        new() { Value = DateTime.SpecifyKind(now, DateTimeKind.Utc), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz },
                        new() { Value = hardwareId },
                    },
                },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return new QueueGate(null, 0, false);
        }

        var license = new LicenseSnapshot(reader.GetGuid(0), reader.GetGuid(1), reader.GetInt32(2),
            reader.GetString(3) == "active" ? LicenseState.Active : LicenseState.Suspended,
            await reader.IsDBNullAsync(4, ct) ? null : reader.GetDateTime(4), []);
        return new QueueGate(license, reader.GetInt32(5), reader.GetBoolean(6));
    }

    /// <summary>
    /// A machine joins the queue of a licence: the next number under the licence lock on PostgreSQL (SQLite's write
    /// lock serializes it), so numbers follow the order of joining. Returns the ticket, which is never stored.
    /// </summary>
    public async Task<(string Ticket, QueueView View)> JoinAsync(LicenseSnapshot license, AcquireCommand c, CancellationToken ct)
    {
        var ticket = NewTicket();
        var row = await SystemAsync(async () =>
        {
            await LockAsync(license.Id, ct);
            var last = await Tickets.Where(t => t.LicenseId == license.Id).MaxAsync(t => (long?)t.Seq, ct) ?? 0;
            var row = new QueueTicket
            {
                TenantId = license.TenantId,
                LicenseId = license.Id,
                Seq = last + 1,
                TicketHash = Hash(ticket),
                HardwareId = c.HardwareId,
                UserEmail = c.UserEmail,
                ClientHostname = c.Hostname,
                ClientAppVersion = c.AppVersion,
                ClientOs = c.Os,
                State = QueueTicketState.Waiting,
                ExpiresAt = c.Now + TimeSpan.FromSeconds(Options.QueueTicketTtlSeconds),
            };
            db.Add(row);
            await db.SaveChangesAsync(ct);
            return row;
        }, ct);
        return (ticket, await ViewAsync(row, license.SeatsTotal, c.Now, ct));
    }

    /// <summary>
    /// The holder's poll: settles a lapse, extends an open ticket's life by <c>Licensing:QueueTicketTtlSeconds</c>, and
    /// answers its state and place. Null for an unknown ticket.
    /// </summary>
    public Task<QueueView?> PollAsync(string ticketHash, DateTime now, CancellationToken ct) => SystemAsync(async () =>
    {
        db.ChangeTracker.Clear(); // a long poll asks again in the same scope: read the row as it is now, not as first tracked
        var found = await Tickets.Where(t => t.TicketHash == ticketHash)
            .Join(Licenses, t => t.LicenseId, l => l.Id, (t, l) => new { Ticket = t, l.SeatsTotal }).FirstOrDefaultAsync(ct);
        if (found is null)
        {
            return null;
        }

        var ticket = found.Ticket;
        if (Settle(ticket, now) || ticket.IsOpen)
        {
            if (ticket.IsOpen)
            {
                ticket.ExpiresAt = now + TimeSpan.FromSeconds(Options.QueueTicketTtlSeconds);
            }

            await db.SaveChangesAsync(ct);
        }

        return await ViewAsync(ticket, found.SeatsTotal, now, ct);
    }, ct);

    /// <summary>The ticket an acquire names, with its licence's key hash; a lapse is settled first. Null when unknown.</summary>
    public Task<(QueueTicket Ticket, string KeyHash)?> FindAsync(string ticketHash, DateTime now, CancellationToken ct) => SystemAsync(async () =>
    {
        var found = await Tickets.Where(t => t.TicketHash == ticketHash)
            .Join(Licenses, t => t.LicenseId, l => l.Id, (t, l) => new { Ticket = t, l.KeyHash }).FirstOrDefaultAsync(ct);
        if (found is null)
        {
            return ((QueueTicket, string)?)null;
        }

        if (Settle(found.Ticket, now))
        {
            await db.SaveChangesAsync(ct);
        }

        return (found.Ticket, found.KeyHash);
    }, ct);

    /// <summary>The place of a waiting ticket among the waiting: 1 is offered the next free seat.</summary>
    public Task<int> PositionAsync(QueueTicket ticket, DateTime now, CancellationToken ct) => SystemAsync(async () =>
        ticket.State == QueueTicketState.Waiting
            ? await Tickets.CountAsync(t => t.LicenseId == ticket.LicenseId && t.State == QueueTicketState.Waiting && t.ExpiresAt > now && t.Seq < ticket.Seq, ct) + 1
            : 0, ct);

    /// <summary>The holder claimed its offered seat (session <paramref name="sessionId"/>): counted in usage with its wait.</summary>
    public Task ClaimedAsync(QueueTicket ticket, Guid sessionId, DateTime now, CancellationToken ct) => SystemAsync(async () =>
    {
        var claimed = await Tickets.Where(t => t.Id == ticket.Id && t.State == QueueTicketState.Offered)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.State, QueueTicketState.Claimed).SetProperty(t => t.SessionId, sessionId)
                .SetProperty(t => t.EndedAt, now).SetProperty(t => t.UpdatedAt, now), ct);
        if (claimed == 1)
        {
            await LockAsync(ticket.LicenseId, ct);
            var usage = await UsageAsync(ticket.LicenseId, ticket.TenantId, now, ct);
            usage.QueueGrants++;
            usage.QueueWaitSeconds += Math.Max(0, (long)(now - ticket.CreatedAt).TotalSeconds);
            await db.SaveChangesAsync(ct);
        }

        return claimed;
    }, ct);

    /// <summary>A plain acquire refused because machines wait in the licence's queue: a denial by the queue.</summary>
    public Task CountDenialAsync(Guid licenseId, DateTime now, CancellationToken ct) => SystemAsync(async () =>
    {
        await LockAsync(licenseId, ct);
        var tenant = await Licenses.Where(l => l.Id == licenseId).Select(l => l.TenantId).FirstAsync(ct);
        var usage = await UsageAsync(licenseId, tenant, now, ct);
        usage.QueueDenials++;
        await db.SaveChangesAsync(ct);
        return 0;
    }, ct);

    /// <summary>The holder leaves the queue: the ticket goes, and a seat offered to it is given back. Its licence, null when unknown.</summary>
    public async Task<Guid?> LeaveAsync(string ticketHash, DateTime now, CancellationToken ct)
    {
        var found = await FindAsync(ticketHash, now, ct);
        if (found is not var (ticket, keyHash))
        {
            return null;
        }

        await SystemAsync(() => Tickets.Where(t => t.Id == ticket.Id).ExecuteDeleteAsync(ct), ct);
        if (ticket is { State: QueueTicketState.Offered, SessionId: { } offered })
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<ISeatLedger>().ReleaseAsync(keyHash, offered, now, ct);
        }

        return ticket.LicenseId;
    }

    /// <summary>
    /// Lapses tickets whose holders stopped polling and offers that were not claimed in time, then offers each free seat
    /// to the head of its licence's queue (all licences, or one). Safe to run on several nodes at once: an offer is an
    /// acquire through the seat ledger (which never grants a seat twice) for the ticket's machine, and the ticket turns
    /// offered by a conditional update; an offer that loses that race gives its seat back. Returns the offers made.
    /// </summary>
    public async Task<IReadOnlyCollection<Guid>> OfferAsync(Guid? licenseId, CancellationToken ct)
    {
        var now = Now();
        // A release pokes its licence: most licences have no queue, and finding that out takes no write lock.
        if (licenseId is { } one && !await ReadAsync(() => Tickets.AnyAsync(
                t => t.LicenseId == one && (t.State == QueueTicketState.Waiting || t.State == QueueTicketState.Offered), ct), ct))
        {
            return [];
        }

        var licenses = await SystemAsync(async () =>
        {
            var tickets = Tickets.Where(t => licenseId == null || t.LicenseId == licenseId);
            await tickets.Where(t => (t.State == QueueTicketState.Waiting && t.ExpiresAt <= now)
                    || (t.State == QueueTicketState.Offered && t.OfferExpiresAt <= now))
                .ExecuteUpdateAsync(u => u.SetProperty(t => t.State, QueueTicketState.Lapsed).SetProperty(t => t.EndedAt, now)
                    .SetProperty(t => t.UpdatedAt, now), ct);
            return await tickets.Where(t => t.State == QueueTicketState.Waiting).Select(t => t.LicenseId).Distinct().ToListAsync(ct);
        }, ct);

        var changed = new List<Guid>();
        foreach (var id in licenses)
        {
            if (await OfferSeatsAsync(id, now, ct) > 0)
            {
                changed.Add(id);
            }
        }

        return changed;
    }

    private async Task<int> OfferSeatsAsync(Guid licenseId, DateTime now, CancellationToken ct)
    {
        var (license, heads) = await SystemAsync(async () =>
        {
            var license = await Licenses.AsNoTracking().FirstAsync(l => l.Id == licenseId, ct);
            var live = await Sessions.CountAsync(s => s.LicenseId == licenseId && s.Status == SessionState.Active && s.ExpiresAt > now, ct);
            var free = license.SeatsTotal - live;
            var heads = free <= 0 ? [] : await Tickets.AsNoTracking()
                .Where(t => t.LicenseId == licenseId && t.State == QueueTicketState.Waiting && t.ExpiresAt > now)
                .OrderBy(t => t.Seq).Take(free).ToListAsync(ct);
            return (license, heads);
        }, ct);

        var offered = 0;
        var expiry = now + TimeSpan.FromSeconds(Options.QueueClaimSeconds);
        foreach (var ticket in heads)
        {
            await using var scope = scopes.CreateAsyncScope();
            var ledger = scope.ServiceProvider.GetRequiredService<ISeatLedger>();
            var result = await ledger.AcquireAsync(new AcquireCommand(license.KeyHash, ticket.HardwareId, ticket.UserEmail, ticket.ClientHostname,
                ticket.ClientAppVersion, ticket.ClientOs, Guid.CreateVersion7(), now, expiry), ct);
            if (result.Outcome is not (AcquireOutcome.Acquired or AcquireOutcome.Renewed))
            {
                break; // full after all (a seat taken meanwhile), or the licence refuses: the next run tries again
            }

            if (await MarkOfferedAsync(ticket, license.KeyHash, result, ledger, ct))
            {
                offered++;
            }
        }

        if (offered > 0)
        {
            logger.LogDebug("Offered {Count} seat(s) of licence {License} to its queue", offered, licenseId);
        }

        return offered;
    }

    /// <summary>
    /// Marks <paramref name="ticket"/> offered the seat <paramref name="result"/> took for its machine, stamped with the
    /// time of the mark (not of the run's start: a run that stalled must not date its offer before an earlier ticket's).
    /// When the ticket no longer waits (it left or lapsed, or another node offered it first) the seat goes back, unless the
    /// ticket holds it: two offers of one ticket share its machine's session (the second renews the first), and the node
    /// whose mark lost may be the one whose acquire made that session. True when this call marked the ticket.
    /// </summary>
    internal async Task<bool> MarkOfferedAsync(QueueTicket ticket, string keyHash, AcquireResult result, ISeatLedger ledger, CancellationToken ct)
    {
        var session = result.SessionId!.Value;
        var now = Now();
        var marked = await SystemAsync(() => Tickets.Where(t => t.Id == ticket.Id && t.State == QueueTicketState.Waiting)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.State, QueueTicketState.Offered).SetProperty(t => t.OfferedAt, now)
                .SetProperty(t => t.OfferExpiresAt, result.ExpiresAt).SetProperty(t => t.SessionId, session)
                .SetProperty(t => t.UpdatedAt, now), ct), ct);
        if (marked == 1)
        {
            return true;
        }

        // The mark that won is committed (the ticket no longer waits), so the session it recorded is settled.
        if (result.Outcome == AcquireOutcome.Acquired && !await SystemAsync(() => Tickets.AnyAsync(t => t.Id == ticket.Id
                && t.SessionId == session && (t.State == QueueTicketState.Offered || t.State == QueueTicketState.Claimed), ct), ct))
        {
            await ledger.ReleaseAsync(keyHash, session, now, ct);
        }

        return false;
    }

    /// <summary>
    /// Marks a ticket lapsed when its holder stopped polling, or when a seat offered to it was not claimed in time (the
    /// offer's session lapses on its own: the seat frees for the next ticket). True when it changed.
    /// </summary>
    private static bool Settle(QueueTicket ticket, DateTime now)
    {
        if ((ticket.State == QueueTicketState.Waiting && ticket.ExpiresAt <= now)
            || (ticket.State == QueueTicketState.Offered && ticket.OfferExpiresAt <= now))
        {
            ticket.State = QueueTicketState.Lapsed;
            ticket.EndedAt = now;
            return true;
        }

        return false;
    }

    private IQueryable<QueueTicket> Open(Guid licenseId, DateTime now) => Tickets.Where(t => t.LicenseId == licenseId).Where(QueueTicket.OpenAt(now));

    private async Task<QueueView> ViewAsync(QueueTicket ticket, int seatsTotal, DateTime now, CancellationToken ct)
    {
        var position = await PositionAsync(ticket, now, ct);
        // Rough on purpose: as if a seat freed every lease TTL, shared by the licence's seats.
        var estimate = position == 0 ? 0 : (int)Math.Ceiling((double)position / Math.Max(1, seatsTotal) * Options.LeaseTtlSeconds);
        return new QueueView(ticket, position, estimate);
    }

    private async Task<LicenseUsage> UsageAsync(Guid licenseId, Guid tenantId, DateTime now, CancellationToken ct)
    {
        var hour = LedgerRules.HourOf(now);
        var usage = await db.Set<LicenseUsage>().IgnoreQueryFilters().FirstOrDefaultAsync(u => u.LicenseId == licenseId && u.HourStart == hour, ct);
        if (usage is null)
        {
            usage = new LicenseUsage { LicenseId = licenseId, TenantId = tenantId, HourStart = hour };
            db.Add(usage);
        }

        return usage;
    }

    /// <summary>
    /// PostgreSQL: the licence lock every writer of its seats and usage takes first (Licensing README, invariant 2a), so
    /// two first writes of an hour's usage row, or two new numbers, never collide. SQLite's write lock is already ours.
    /// </summary>
    private async Task LockAsync(Guid licenseId, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync($"SELECT id FROM licenses WHERE id = {licenseId} FOR NO KEY UPDATE", ct);
        }
    }

    private Task<T> SystemAsync<T>(Func<Task<T>> work, CancellationToken ct) =>
        db.Database.CurrentTransaction is null ? db.RunAsSystemAsync(work, ct) : work();

    /// <summary>As <see cref="SystemAsync{T}"/>, for reads only: on SQLite it takes no write lock (every plain acquire reads the gate).</summary>
    private Task<T> ReadAsync<T>(Func<Task<T>> work, CancellationToken ct) =>
        db.Database.CurrentTransaction is null ? db.ReadAsSystemAsync(work, ct) : work();
}

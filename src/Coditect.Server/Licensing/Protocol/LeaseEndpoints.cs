using Coditect.Contracts.Common;
using Coditect.Contracts.Licensing;
using Coditect.Server.Licensing.Ledger;
using Coditect.Server.Licensing.Live;
using Coditect.Server.Licensing.Machines;
using Coditect.Server.Licensing.Queue;
using Coditect.Server.Platform;
using Coditect.Server.Signing;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Coditect.Server.Licensing.Protocol;

/// <summary>
/// The lease protocol: licensed applications acquire, heartbeat, release and validate with the licence key, never
/// with a user token. Each call is one <see cref="ISeatLedger"/> call plus, for a live lease, one signature. A valid
/// call first passes the per-licence and per-session (or per-machine) rate limits; an invalid one is answered 400 and
/// not counted. A call that changed a session tells <see cref="LicenseWatch"/> (a lookup, no I/O) for the console's
/// live view. See docs/licensing.md and README.md in this folder.
/// </summary>
public static class LeaseEndpoints
{
    public static void MapLeaseProtocol(this IEndpointRouteBuilder app)
    {
        var leases = app.MapGroup("/api/v1/licenses").WithTags("Lease protocol");
        leases.MapPost("/acquire", Acquire).WithName("acquireLease").WithLeaseMetrics("acquire").WithSummary("Take a seat for a machine, or renew its live lease")
            .ProducesProblems(StatusCodes.Status403Forbidden, ProblemCodes.OrganizationSuspended, ProblemCodes.LicenseSuspended, ProblemCodes.LicenseExpired)
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound, ProblemCodes.QueueTicketNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.NoSeatsAvailable, ProblemCodes.LicenseNodeLocked, ProblemCodes.QueueTicketNotOffered)
            .ProducesProblems(StatusCodes.Status410Gone, ProblemCodes.QueueTicketLapsed);
        leases.MapPost("/borrow", Borrow).WithName("borrowLease").WithLeaseMetrics("borrow")
            .WithSummary("Borrow a seat for offline work: a lease held without heartbeats until borrowed_until")
            .ProducesProblems(StatusCodes.Status403Forbidden, ProblemCodes.OrganizationSuspended, ProblemCodes.LicenseSuspended, ProblemCodes.LicenseExpired)
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.NoSeatsAvailable, ProblemCodes.BorrowingNotAllowed);
        leases.MapPost("/heartbeat", Heartbeat).WithName("heartbeatLease").WithLeaseMetrics("heartbeat").WithSummary("Extend a lease and get a fresh lease token")
            .ProducesProblems(StatusCodes.Status403Forbidden, ProblemCodes.OrganizationSuspended, ProblemCodes.LicenseSuspended, ProblemCodes.LicenseExpired)
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound, ProblemCodes.SessionNotFound)
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemCodes.LicenseNodeLocked)
            .ProducesProblems(StatusCodes.Status410Gone, ProblemCodes.SessionExpired, ProblemCodes.SessionReleased);
        leases.MapPost("/release", Release).WithName("releaseLease").WithLeaseMetrics("release").WithSummary("Give a seat back")
            .ProducesProblems(StatusCodes.Status404NotFound, ProblemCodes.LicenseNotFound, ProblemCodes.SessionNotFound);
        leases.MapPost("/validate", Validate).WithName("validateLicenseKey").WithLeaseMetrics("validate").WithSummary("Check a licence key, and whether a machine holds a live lease");
    }

    private static async Task<Results<Created<AcquireResponse>, Ok<AcquireResponse>, Accepted<QueueTicketResponse>, ProblemHttpResult>> Acquire(
        AcquireRequest body, ISeatLedger ledger, SeatQueue queue, LeaseTokens tokens, IOptions<LicensingOptions> options, TimeProvider clock,
        HttpContext http, LicenseWatch watch, CancellationToken ct)
    {
        var errors = new Validator();
        var key = errors.Required("license_key", body.LicenseKey, 64);
        var hardwareId = errors.Required("hardware_id", body.HardwareId, 256);
        var email = body.UserEmail is null ? null : errors.Email("user_email", body.UserEmail);
        var hostname = Optional(errors, "client.hostname", body.Client?.Hostname, 200);
        var appVersion = Optional(errors, "client.app_version", body.Client?.AppVersion, 100);
        var os = Optional(errors, "client.os", body.Client?.Os, 100);
        if (body.Ticket is not null && !SeatQueue.IsWellFormed(body.Ticket))
        {
            errors.Add("ticket", "is not a queue ticket (qt_ and 22 characters).");
        }

        if (body.Ticket is not null && body.Wait == true)
        {
            errors.Add("wait", "cannot be combined with ticket: a ticket claims the seat offered to it.");
        }

        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        var keyHash = LicenseKeys.Hash(key);
        if (await http.LimitLeaseCallAsync(keyHash, Machine(hardwareId)) is { } limited)
        {
            return limited;
        }

        var now = Now(clock);
        var command = new AcquireCommand(keyHash, hardwareId, email, hostname, appVersion, os, Guid.CreateVersion7(), now, now + options.Value.LeaseTtl);
        // The queue first: a claim must hold the offer, and nobody else may jump the tickets that wait (Licensing/README.md, "Seat queue").
        QueueTicket? claiming = null;
        var queueLength = 0;
        if (body.Ticket is { } ticket)
        {
            var found = await queue.FindAsync(SeatQueue.Hash(ticket), now, ct);
            if (found is not var (held, ticketKey) || ticketKey != keyHash || held.HardwareId != hardwareId)
            {
                return QueueEndpoints.NotFound();
            }

            switch (held.State)
            {
                case QueueTicketState.Lapsed:
                    return Problems.Of(StatusCodes.Status410Gone, ProblemCodes.QueueTicketLapsed,
                        "The queue ticket lapsed (not polled, or its offer not claimed in time). Join the queue again.");
                case QueueTicketState.Waiting:
                    return Problems.Conflict(ProblemCodes.QueueTicketNotOffered, "No seat has been offered to this ticket yet.",
                        new Dictionary<string, object?> { ["position"] = await queue.PositionAsync(held, now, ct) });
                case QueueTicketState.Offered:
                    claiming = held;
                    break;
            }
        }

        // A claimed ticket is spent: acquiring with it again is a plain acquire (a retry renews the machine's lease; once
        // released, the machine may not take a free seat ahead of the tickets that wait).
        if (claiming is null)
        {
            var gate = await queue.GateAsync(keyHash, hardwareId, now, ct);
            queueLength = gate.QueueLength;
            if (gate.Blocks && LedgerRules.Refusal(gate.License, now) is null)
            {
                if (body.Wait == true)
                {
                    return await JoinAsync(queue, watch, gate.License!, command, ct);
                }

                await queue.CountDenialAsync(gate.License!.Id, now, ct);
                return QueuedOut(gate.License, queueLength);
            }
        }

        var result = await ledger.AcquireAsync(command, ct);
        if (claiming is not null && result.Outcome is AcquireOutcome.Acquired or AcquireOutcome.Renewed)
        {
            // The offer's session, renewed into a full lease: a new seat for the holder.
            await queue.ClaimedAsync(claiming, result.SessionId!.Value, now, ct);
            result = result with { Outcome = AcquireOutcome.Acquired };
        }

        switch (result.Outcome)
        {
            case AcquireOutcome.NoSeats when claiming is not null:
                return Problems.Of(StatusCodes.Status410Gone, ProblemCodes.QueueTicketLapsed,
                    "The seat offered to this ticket was not claimed in time. Join the queue again.");
            case AcquireOutcome.NoSeats when body.Wait == true:
                return await JoinAsync(queue, watch, result.License!, command, ct);
        }

        return (await GrantedAsync(result, command, tokens, options.Value, watch, queueLength, http.RequestServices, ct)).Result switch
        {
            Created<AcquireResponse> created => created,
            Ok<AcquireResponse> renewed => renewed,
            var problem => (ProblemHttpResult)problem,
        };
    }

    /// <summary>409: every seat is held or offered to a machine in the licence's queue, which nobody may jump.</summary>
    private static ProblemHttpResult QueuedOut(LicenseSnapshot license, int queueLength) =>
        Problems.Conflict(ProblemCodes.NoSeatsAvailable, "Every seat of this licence is in use or offered to a machine in its queue.",
            new Dictionary<string, object?> { ["seats_total"] = license.SeatsTotal, ["queue_length"] = queueLength });

    /// <summary>
    /// A seat for offline work: an acquire whose lease lasts <c>hours</c> (within the licence's <c>borrow_max_hours</c>,
    /// never beyond its expiry) and needs no heartbeat. Returned early with release; an admin's kick ends it at the
    /// borrower's next contact, since a client offline cannot be told.
    /// </summary>
    private static async Task<Results<Created<AcquireResponse>, Ok<AcquireResponse>, ProblemHttpResult>> Borrow(
        BorrowRequest body, ISeatLedger ledger, SeatQueue queue, LeaseTokens tokens, IOptions<LicensingOptions> options, TimeProvider clock,
        HttpContext http, LicenseWatch watch, CancellationToken ct)
    {
        var errors = new Validator();
        var key = errors.Required("license_key", body.LicenseKey, 64);
        var hardwareId = errors.Required("hardware_id", body.HardwareId, 256);
        if (body.Hours is not { } hours || hours < 1 || hours > Admin.LicenseInput.MaxBorrowHours)
        {
            errors.Add("hours", $"must be from 1 to the licence's borrow_max_hours (at most {Admin.LicenseInput.MaxBorrowHours}).");
            hours = 0;
        }

        var email = body.UserEmail is null ? null : errors.Email("user_email", body.UserEmail);
        var hostname = Optional(errors, "client.hostname", body.Client?.Hostname, 200);
        var appVersion = Optional(errors, "client.app_version", body.Client?.AppVersion, 100);
        var os = Optional(errors, "client.os", body.Client?.Os, 100);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        var keyHash = LicenseKeys.Hash(key);
        if (await http.LimitLeaseCallAsync(keyHash, Machine(hardwareId)) is { } limited)
        {
            return limited;
        }

        var now = Now(clock);
        var command = new AcquireCommand(keyHash, hardwareId, email, hostname, appVersion, os, Guid.CreateVersion7(), now,
            now + TimeSpan.FromHours(hours), hours);
        // A borrow takes its turn like an acquire: nobody jumps the machines waiting in the licence's queue.
        var gate = await queue.GateAsync(keyHash, hardwareId, now, ct);
        if (gate.Blocks && LedgerRules.Refusal(gate.License, now) is null)
        {
            await queue.CountDenialAsync(gate.License!.Id, now, ct);
            return QueuedOut(gate.License, gate.QueueLength);
        }

        return await GrantedAsync(await ledger.AcquireAsync(command, ct), command, tokens, options.Value, watch, gate.QueueLength, http.RequestServices, ct);
    }

    /// <summary>The answer to an acquire or a borrow: the lease and its token, or why not.</summary>
    private static async Task<Results<Created<AcquireResponse>, Ok<AcquireResponse>, ProblemHttpResult>> GrantedAsync(
        AcquireResult result, AcquireCommand command, LeaseTokens tokens, LicensingOptions options, LicenseWatch watch, int queueLength,
        IServiceProvider requestServices, CancellationToken ct)
    {
        switch (result.Outcome)
        {
            case AcquireOutcome.Acquired or AcquireOutcome.Renewed:
                var license = result.License!;
                watch.Changed(license.Id);
                var expiresAt = result.ExpiresAt!.Value;
                var token = await tokens.CreateAsync(new LeaseClaims(result.SessionId!.Value, license.Id, license.TenantId, command.HardwareId,
                    license.Entitlements, license.SeatsTotal, command.Now, expiresAt, result.BorrowedUntil), requestServices, ct);
                var response = new AcquireResponse(result.SessionId.Value, token, expiresAt, options.HeartbeatIntervalSeconds,
                    license.SeatsTotal, result.SeatsUsed, result.BorrowedUntil);
                return result.Outcome == AcquireOutcome.Acquired ? TypedResults.Created((string?)null, response) : TypedResults.Ok(response);
            case AcquireOutcome.NoSeats:
                return Problems.Conflict(ProblemCodes.NoSeatsAvailable, "Every seat of this licence is in use.",
                    new Dictionary<string, object?>
                    {
                        ["seats_total"] = result.License!.SeatsTotal, ["seats_used"] = result.SeatsUsed, ["queue_length"] = queueLength,
                    });
            case AcquireOutcome.BorrowingNotAllowed:
                return Problems.Conflict(ProblemCodes.BorrowingNotAllowed, "This licence does not allow borrowing a seat.",
                    new Dictionary<string, object?> { ["borrow_max_hours"] = 0 });
            case AcquireOutcome.BorrowTooLong:
                return Problems.Validation("hours", $"must be from 1 to {result.BorrowMaxHours}, this licence's borrow_max_hours.");
            default:
                return LicenseProblem(result.Outcome);
        }
    }

    /// <summary>202: the machine waits in the licence's queue; the ticket's address is its <c>Location</c>.</summary>
    private static async Task<Accepted<QueueTicketResponse>> JoinAsync(
        SeatQueue queue, LicenseWatch watch, LicenseSnapshot license, AcquireCommand command, CancellationToken ct)
    {
        var (ticket, view) = await queue.JoinAsync(license, command, ct);
        watch.Changed(license.Id); // the console's licence page shows the queue's length live
        return TypedResults.Accepted($"/api/v1/licenses/queue/{ticket}", view.ToResponse(ticket));
    }

    private static async Task<Results<Ok<HeartbeatResponse>, ProblemHttpResult>> Heartbeat(
        HeartbeatRequest body, ISeatLedger ledger, LeaseTokens tokens, IOptions<LicensingOptions> options, TimeProvider clock, HttpContext http,
        LicenseWatch watch, CancellationToken ct)
    {
        var errors = new Validator();
        var key = errors.Required("license_key", body.LicenseKey, 64);
        var sessionId = RequiredId(errors, body.SessionId);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        var keyHash = LicenseKeys.Hash(key);
        if (await http.LimitLeaseCallAsync(keyHash, Session(sessionId)) is { } limited)
        {
            return limited;
        }

        var now = Now(clock);
        var result = await ledger.HeartbeatAsync(keyHash, sessionId, now, now + options.Value.LeaseTtl, ct);
        if (result.Outcome != LeaseOutcome.Ok)
        {
            return LeaseProblem(result.Outcome);
        }

        var license = result.License!;
        watch.Changed(license.Id);
        // A borrowed seat's heartbeat keeps its borrowed_until (a heartbeat never shortens a lease).
        var borrowedUntil = result.BorrowedUntil >= result.ExpiresAt ? result.BorrowedUntil : null;
        var token = await tokens.CreateAsync(new LeaseClaims(sessionId, license.Id, license.TenantId, result.HardwareId!,
            license.Entitlements, license.SeatsTotal, now, result.ExpiresAt!.Value, borrowedUntil), http.RequestServices, ct);
        return TypedResults.Ok(new HeartbeatResponse(sessionId, result.ExpiresAt.Value, token, borrowedUntil));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Release(
        ReleaseRequest body, ISeatLedger ledger, TimeProvider clock, HttpContext http, LicenseWatch watch, QueueOfferer offerer, CancellationToken ct)
    {
        var errors = new Validator();
        var key = errors.Required("license_key", body.LicenseKey, 64);
        var sessionId = RequiredId(errors, body.SessionId);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        var keyHash = LicenseKeys.Hash(key);
        if (await http.LimitLeaseCallAsync(keyHash, Session(sessionId)) is { } limited)
        {
            return limited;
        }

        var result = await ledger.ReleaseAsync(keyHash, sessionId, Now(clock), ct);
        if (result.Outcome != LeaseOutcome.Ok)
        {
            return LeaseProblem(result.Outcome);
        }

        watch.Changed(result.License!.Id);
        offerer.Poke(result.License.Id);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<ValidateResponse>, ProblemHttpResult>> Validate(
        ValidateRequest body, ISeatLedger ledger, TimeProvider clock, HttpContext http, MachineActivations machines, CancellationToken ct)
    {
        var errors = new Validator();
        var key = errors.Required("license_key", body.LicenseKey, 64);
        var hardwareId = body.HardwareId is null ? null : errors.Required("hardware_id", body.HardwareId, 256);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors);
        }

        var keyHash = LicenseKeys.Hash(key);
        if (await http.LimitLeaseCallAsync(keyHash, hardwareId is null ? null : Machine(hardwareId)) is { } limited)
        {
            return limited;
        }

        var now = Now(clock);
        var result = await ledger.ValidateAsync(keyHash, hardwareId, now, ct);
        if (result.License is not { } license)
        {
            return TypedResults.Ok(new ValidateResponse(false, ValidationCodes.NotFound, null));
        }

        var used = result.SeatsUsed;
        var hardware = result.Hardware;
        if (license.Type == LicenseType.NodeLocked)
        {
            // A node-locked licence counts machines, and a machine is valid while it is activated.
            (used, var activated) = await machines.StateAsync(license.TenantId, license.Id, hardwareId, ct);
            hardware = activated switch { null => HardwareState.NotAsked, true => HardwareState.Live, false => HardwareState.None };
        }

        var status = license.State == LicenseState.Suspended ? LicenseStatuses.Suspended
            : license.ExpiresAt <= now ? LicenseStatuses.Expired
            : LicenseStatuses.Active;
        // The organization's suspension wins over the licence's own state, as it does on acquire and heartbeat;
        // license.status stays the licence's.
        var code = license.OrganizationSuspended ? ValidationCodes.OrganizationSuspended : status switch
        {
            LicenseStatuses.Suspended => ValidationCodes.Suspended,
            LicenseStatuses.Expired => ValidationCodes.Expired,
            _ => hardware switch
            {
                HardwareState.Lapsed => ValidationCodes.HeartbeatDead,
                HardwareState.None when license.Type == LicenseType.NodeLocked => ValidationCodes.NotActivated,
                HardwareState.None => ValidationCodes.NoSession,
                _ => ValidationCodes.Valid,
            },
        };
        return TypedResults.Ok(new ValidateResponse(code == ValidationCodes.Valid, code,
            new ValidatedLicense(license.Id, license.SeatsTotal, used, license.ExpiresAt, status, license.Entitlements)));
    }

    /// <summary>A rate-limited caller within a licence: its session once it has one (heartbeat, release).</summary>
    private static string Session(Guid sessionId) => "s:" + sessionId.ToString("N");

    /// <summary>The caller before it has a session (acquire) or when it names no session (validate): its machine.</summary>
    private static string Machine(string hardwareId) => "m:" + hardwareId;

    /// <summary>The server's clock, to the microsecond both databases store.</summary>
    private static DateTime Now(TimeProvider clock)
    {
        var ticks = clock.GetUtcNow().UtcTicks;
        return new DateTime(ticks - (ticks % 10), DateTimeKind.Utc);
    }

    private static string? Optional(Validator errors, string field, string? value, int max)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length > max)
        {
            errors.Add(field, $"must be at most {max} characters.");
        }

        return value.Trim() is { Length: > 0 } trimmed ? trimmed : null;
    }

    private static Guid RequiredId(Validator errors, Guid? id)
    {
        if (id is not { } value || value == Guid.Empty)
        {
            errors.Add("session_id", "is required.");
            return Guid.Empty;
        }

        return value;
    }

    private static ProblemHttpResult LicenseProblem(AcquireOutcome outcome) => outcome switch
    {
        AcquireOutcome.OrganizationSuspended => Problems.Of(StatusCodes.Status403Forbidden, ProblemCodes.OrganizationSuspended,
            "The organization this licence belongs to is suspended."),
        AcquireOutcome.LicenseSuspended => Problems.Of(StatusCodes.Status403Forbidden, ProblemCodes.LicenseSuspended, "This licence is suspended."),
        AcquireOutcome.LicenseExpired => Problems.Of(StatusCodes.Status403Forbidden, ProblemCodes.LicenseExpired, "This licence has expired."),
        AcquireOutcome.LicenseNodeLocked => Problems.Conflict(ProblemCodes.LicenseNodeLocked,
            "This licence is node-locked: activate the machine (POST /api/v1/licenses/activate) instead of leasing a seat."),
        _ => Problems.NotFound(ProblemCodes.LicenseNotFound, "The licence key"),
    };

    private static ProblemHttpResult LeaseProblem(LeaseOutcome outcome) => outcome switch
    {
        LeaseOutcome.OrganizationSuspended => LicenseProblem(AcquireOutcome.OrganizationSuspended),
        LeaseOutcome.LicenseSuspended => LicenseProblem(AcquireOutcome.LicenseSuspended),
        LeaseOutcome.LicenseExpired => LicenseProblem(AcquireOutcome.LicenseExpired),
        LeaseOutcome.LicenseNodeLocked => LicenseProblem(AcquireOutcome.LicenseNodeLocked),
        LeaseOutcome.SessionNotFound => Problems.NotFound(ProblemCodes.SessionNotFound, "The session (for this licence key)"),
        LeaseOutcome.SessionExpired => Problems.Of(StatusCodes.Status410Gone, ProblemCodes.SessionExpired,
            "The lease lapsed; its seat may be gone. Acquire again."),
        LeaseOutcome.SessionReleased => Problems.Of(StatusCodes.Status410Gone, ProblemCodes.SessionReleased,
            "The session was released or ended by an administrator."),
        _ => LicenseProblem(AcquireOutcome.LicenseNotFound),
    };
}

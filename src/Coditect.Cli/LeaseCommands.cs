using System.CommandLine;
using Coditect.Client;
using Coditect.Contracts.Licensing;

namespace Coditect.Cli;

internal static partial class CliApp
{
    private static Option<string?> KeyOption() => new("--key") { Description = "The licence key (default: $CODITECT_LICENSE_KEY)." };

    private static Option<string?> HardwareOption(string what) => new("--hwid") { Description = what };

    private static Command LeaseCommand(Terminal terminal)
    {
        var key = KeyOption();
        var hwid = HardwareOption("The machine's hardware id (default: this machine's, from HardwareId.Default()).");
        var hold = new Option<bool>("--hold") { Description = "Keep the seat, heartbeating, until Ctrl-C; then release it." };
        var wait = new Option<bool>("--wait")
        {
            Description = "When every seat is taken, wait in the licence's queue (first come, first served) instead of failing; Ctrl-C leaves the queue.",
        };
        var acquire = new Command("acquire", "Take a seat of a licence. Without --hold the seat stays taken until its lease lapses.") { key, hwid, hold, wait };
        acquire.SetAction(Run(terminal, async (parse, ct) =>
        {
            var hardwareId = parse.GetValue(hwid) ?? HardwareId.Default();
            using var client = new LicenseClient(Server(parse, terminal), Required(parse, key, terminal, "CODITECT_LICENSE_KEY"));
            var options = new AcquireOptions { Hostname = Environment.MachineName, AppVersion = "coditect-cli" };
            var lease = parse.GetValue(wait)
                ? await client.AcquireWaitingAsync(hardwareId, options, new Progress<QueueTicketResponse>(ticket =>
                    terminal.Error.WriteLine(ticket.State == QueueStates.Waiting
                        ? $"waiting in the queue: position {ticket.Position}, about {ticket.EstimatedWaitSeconds} s"
                        : $"queue ticket {ticket.State}")), ct)
                : await client.AcquireAsync(hardwareId, options, ct);
                if (parse.GetValue(JsonOption))
                {
                    Output.WriteJson(terminal.Out, new
                    {
                        session_id = lease.SessionId,
                        lease_token = lease.Token,
                        expires_at = lease.ExpiresAt,
                        heartbeat_interval_seconds = (int)lease.HeartbeatInterval.TotalSeconds,
                        seats_total = lease.SeatsTotal,
                        seats_used = lease.SeatsUsed,
                        hardware_id = lease.HardwareId,
                    });
                }
                else
                {
                    Output.WriteFields(terminal.Out,
                    [
                        ("session", lease.SessionId.ToString()),
                        ("seats", $"{lease.SeatsUsed} used of {lease.SeatsTotal}"),
                        ("expires", Output.TimeOf(lease.ExpiresAt)),
                        ("heartbeat", $"every {lease.HeartbeatInterval.TotalSeconds:0} s"),
                        ("hardware id", lease.HardwareId),
                        ("lease token", lease.Token),
                    ]);
                }

                await terminal.Out.FlushAsync(CancellationToken.None);
                if (!parse.GetValue(hold))
                {
                    // Not disposed on purpose: the seat stays taken until its lease lapses (heartbeats end with the command).
                    return ExitCodes.Ok;
                }

                await using (lease)
                {
                    return await HoldAsync(lease, terminal, ct);
                }
        }));

        var token = new Argument<string>("token") { Description = "The lease token (compact JWS) to check." };
        var verifyHwid = HardwareOption("The machine the token must be for (default: this machine's).");
        var jwks = new Option<string?>("--jwks") { Description = "Verify against this JWKS file instead of the server's keys (fetched, or cached from an earlier fetch)." };
        var verifyOrg = new Option<Guid?>("--org-id")
        {
            Description = "The vendor's organization id: only its signing keys are trusted, and the token must be its (default: the organization the token names).",
        };
        var verify = new Command("verify", "Verify a lease token offline: signature, algorithm, key id, expiry, hardware id and organization.")
        {
            token, verifyHwid, jwks, verifyOrg,
        };
        verify.SetAction(Run(terminal, async (parse, ct) =>
        {
            var hardwareId = parse.GetValue(verifyHwid) ?? HardwareId.Default();
            var file = parse.GetValue(jwks);
            LeaseToken verified;
            if (file is not null)
            {
                JsonWebKeySet keys;
                try
                {
                    keys = JsonWebKeySet.Load(file);
                }
                catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
                {
                    throw new UsageException($"--jwks {file}: {e.Message}");
                }

                verified = LeaseToken.Verify(parse.GetValue(token)!, keys, hardwareId, DateTimeOffset.UtcNow, parse.GetValue(verifyOrg));
            }
            else
            {
                var pinned = new LicenseClientOptions { OrganizationId = parse.GetValue(verifyOrg) };
                verified = await new SigningKeys(Server(parse, terminal), pinned).VerifyAsync(parse.GetValue(token)!, hardwareId, ct);
            }

            if (parse.GetValue(JsonOption))
            {
                Output.WriteJson(terminal.Out, new
                {
                    valid = true,
                    session_id = verified.SessionId,
                    license_id = verified.LicenseId,
                    org_id = verified.OrganizationId,
                    hardware_id = verified.HardwareId,
                    entitlements = verified.Entitlements,
                    seats_total = verified.SeatsTotal,
                    issued_at = verified.IssuedAt,
                    expires_at = verified.ExpiresAt,
                    kid = verified.KeyId,
                    alg = verified.Algorithm,
                });
            }
            else
            {
                Output.WriteFields(terminal.Out,
                [
                    ("valid", "yes"),
                    ("session", verified.SessionId.ToString()),
                    ("licence", verified.LicenseId.ToString()),
                    ("expires", Output.TimeOf(verified.ExpiresAt)),
                    ("entitlements", verified.Entitlements.Count == 0 ? "-" : string.Join(", ", verified.Entitlements)),
                    ("signed by", $"{verified.KeyId} ({verified.Algorithm})"),
                ]);
            }

            return ExitCodes.Ok;
        }));

        var lease = new Command("lease", "Hold or borrow a seat, or check a lease token, as a licensed application would.") { acquire, verify };
        AddBorrowCommands(lease, terminal);
        return lease;
    }

    private static async Task<int> HoldAsync(Lease lease, Terminal terminal, CancellationToken ct)
    {
        var lost = new TaskCompletionSource<LeaseLostEventArgs?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lease.Lost += (_, e) => lost.TrySetResult(e);
        lease.StateChanged += (_, e) => terminal.Error.WriteLine($"coditect: lease {e.Current.ToString().ToLowerInvariant()}");
        if (lease.State == LeaseState.Lost)
        {
            lost.TrySetResult(null);
        }

        await terminal.Error.WriteLineAsync("coditect: holding the seat; press Ctrl-C to release it.");
        var stopped = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var registration = ct.Register(() => stopped.TrySetResult(true));
        if (await Task.WhenAny(lost.Task, stopped.Task) == lost.Task)
        {
            var why = await lost.Task;
            await terminal.Error.WriteLineAsync($"coditect: the seat was lost ({why?.Reason}){(why?.Error is null ? "" : ": " + why.Error.Message)}");
            return why?.Error is null ? ExitCodes.Unavailable : ExitCodes.Other;
        }

        await lease.ReleaseAsync(CancellationToken.None);
        await terminal.Out.WriteLineAsync($"Released session {lease.SessionId}.");
        return ExitCodes.Ok;
    }

    private static Command ValidateCommand(Terminal terminal)
    {
        var key = KeyOption();
        var hwid = HardwareOption("Also check whether this machine holds a live lease (HEARTBEAT_DEAD, NO_SESSION).");
        var command = new Command("validate", "Check a licence key: VALID, NOT_FOUND (exit 3), SUSPENDED or EXPIRED (exit 1), and with --hwid the machine's lease.") { key, hwid };
        command.SetAction(Run(terminal, async (parse, ct) =>
        {
            using var client = new LicenseClient(Server(parse, terminal), Required(parse, key, terminal, "CODITECT_LICENSE_KEY"));
            var result = await client.ValidateAsync(parse.GetValue(hwid), ct);
            if (parse.GetValue(JsonOption))
            {
                Output.WriteJson(terminal.Out, result);
            }
            else
            {
                var l = result.License;
                Output.WriteFields(terminal.Out,
                [
                    ("valid", result.Valid ? "yes" : "no"),
                    ("code", result.Code),
                    ("licence", l?.Id.ToString()),
                    ("status", l?.Status),
                    ("seats", l is null ? null : $"{l.SeatsUsed} used of {l.SeatsTotal}"),
                    ("expires", l is null ? null : Output.Time(l.ExpiresAt)),
                    ("entitlements", l is null || l.Entitlements.Count == 0 ? null : string.Join(", ", l.Entitlements)),
                ]);
            }

            return result.Valid ? ExitCodes.Ok : result.Code == ValidationCodes.NotFound ? ExitCodes.NotFound : ExitCodes.Other;
        }));
        return command;
    }
}

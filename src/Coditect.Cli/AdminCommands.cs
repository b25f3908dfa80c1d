using System.CommandLine;
using System.Globalization;
using Coditect.Client;
using Coditect.Contracts.Licensing;

namespace Coditect.Cli;

internal static partial class CliApp
{
    private static readonly Option<string?> OrgOption = new("--org")
    {
        Description = "The organization's slug or id (default: $CODITECT_ORG, then the one chosen at login).",
        Recursive = true,
    };

    private static Command LoginCommand(Terminal terminal)
    {
        var email = new Option<string?>("--email") { Description = "Your account's email." };
        var password = new Option<string?>("--password")
        {
            Description = "Your password (visible to other users in the process list: prefer $CODITECT_PASSWORD or the prompt).",
        };
        var command = new Command("login", "Sign in and store the tokens in ~/.config/coditect/credentials.json (mode 600).") { email, password };
        command.SetAction(Run(terminal, async (parse, ct) =>
        {
            var server = Server(parse, terminal);
            var address = Required(parse, email, terminal, "CODITECT_EMAIL");
            var secret = parse.GetValue(password) ?? terminal.Environment("CODITECT_PASSWORD") ?? ReadPassword(terminal);
            using var admin = new AdminClient(server);
            var tokens = await admin.LoginAsync(address, secret, ct);
            var org = tokens.Organization?.Slug;
            if (org is null)
            {
                var orgs = await admin.ListOrganizationsAsync(ct: ct);
                org = orgs.Items.Count > 0 ? orgs.Items[0].Slug : null;
            }

            var saved = new Credentials(server.AbsoluteUri, tokens.AccessToken, tokens.RefreshToken, tokens.User.Email, org);
            saved.Save(terminal);
            if (parse.GetValue(JsonOption))
            {
                Output.WriteJson(terminal.Out, new { server = server.AbsoluteUri, email = tokens.User.Email, organization = org, credentials = Credentials.PathFor(terminal) });
            }
            else
            {
                await terminal.Out.WriteLineAsync($"Signed in to {server.GetLeftPart(UriPartial.Authority)} as {tokens.User.Email}"
                    + (org is null ? "." : $"; organization {org}.") + $" Credentials saved to {Credentials.PathFor(terminal)}.");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command LogoutCommand(Terminal terminal)
    {
        var command = new Command("logout", "Forget the stored credentials.");
        command.SetAction(Run(terminal, async (parse, ct) =>
        {
            var removed = Credentials.Delete(terminal);
            await terminal.Out.WriteLineAsync(removed ? "Signed out." : "Not signed in.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static string ReadPassword(Terminal terminal)
    {
        if (!terminal.InteractiveInput)
        {
            return terminal.In.ReadLine() ?? throw new UsageException("No password: pass --password, set CODITECT_PASSWORD or pipe it on stdin.");
        }

        terminal.Error.Write("Password: ");
        var password = new System.Text.StringBuilder();
        for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
        {
            if (key.Key == ConsoleKey.Backspace && password.Length > 0)
            {
                password.Length--;
            }
            else if (!char.IsControl(key.KeyChar))
            {
                password.Append(key.KeyChar);
            }
        }

        terminal.Error.WriteLine();
        return password.ToString();
    }

    /// <summary>An admin client signed in from $CODITECT_TOKEN or the stored credentials; refreshed tokens are stored again.</summary>
    private static (AdminClient Admin, string? Org) Admin(ParseResult parse, Terminal terminal)
    {
        var credentials = Credentials.Load(terminal);
        var server = Server(parse, terminal, credentials);
        var admin = new AdminClient(server);
        var token = terminal.Environment("CODITECT_TOKEN");
        if (!string.IsNullOrEmpty(token))
        {
            admin.AccessToken = token;
        }
        else if (credentials is not null && SameServer(credentials.Server, server))
        {
            admin.AccessToken = credentials.AccessToken;
            admin.RefreshToken = credentials.RefreshToken;
            admin.TokensRefreshed += (_, tokens) =>
                (credentials with { AccessToken = tokens.AccessToken, RefreshToken = tokens.RefreshToken }).Save(terminal);
        }
        else
        {
            admin.Dispose();
            throw new NotSignedInException($"Not signed in to {server.GetLeftPart(UriPartial.Authority)}: run 'coditect login' or set CODITECT_TOKEN.");
        }

        var org = parse.GetValue(OrgOption) ?? terminal.Environment("CODITECT_ORG") ?? credentials?.Organization;
        return (admin, org);
    }

    private static bool SameServer(string stored, Uri server) =>
        Uri.TryCreate(stored, UriKind.Absolute, out var s) && Uri.Compare(s, server, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    private static string RequireOrg(string? org) =>
        org ?? throw new UsageException("No organization: pass --org SLUG or set CODITECT_ORG.");

    private static Command OrgsCommand(Terminal terminal)
    {
        var list = new Command("list", "List your organizations.");
        list.SetAction(Run(terminal, async (parse, ct) =>
        {
            var (admin, _) = Admin(parse, terminal);
            using var _ = admin;
            var page = await admin.ListOrganizationsAsync(1, 100, ct);
            if (parse.GetValue(JsonOption))
            {
                Output.WriteJson(terminal.Out, page);
            }
            else
            {
                Output.WriteTable(terminal.Out, ["SLUG", "NAME", "ROLE", "ID"], page.Items.Select(o => new[] { o.Slug, o.Name, o.Role, o.Id.ToString() }));
            }

            return ExitCodes.Ok;
        }));

        var name = new Argument<string>("name") { Description = "The organization's name." };
        var slug = new Option<string?>("--slug") { Description = "Its address name (3-63 lower-case letters, digits, hyphens); derived from the name if absent." };
        var create = new Command("create", "Create an organization, with you as its owner.") { name, slug };
        create.SetAction(Run(terminal, async (parse, ct) =>
        {
            var (admin, _) = Admin(parse, terminal);
            using var _ = admin;
            var org = await admin.CreateOrganizationAsync(parse.GetValue(name)!, parse.GetValue(slug), ct);
            if (parse.GetValue(JsonOption))
            {
                Output.WriteJson(terminal.Out, org);
            }
            else
            {
                await terminal.Out.WriteLineAsync($"Created organization {org.Slug} ({org.Name}, id {org.Id}).");
            }

            return ExitCodes.Ok;
        }));

        return new Command("orgs", "Organizations you belong to.") { list, create };
    }

    private static Command LicensesCommand(Terminal terminal)
    {
        var licenses = new Command("licenses", "Issue and manage licences (admin or owner to change, any member to read).") { OrgOption };

        var name = new Option<string?>("--name") { Description = "The licence's name, e.g. the customer.", Required = true };
        var seats = new Option<int>("--seats") { Description = "How many machines may hold a seat at once (1 to 1,000,000).", Required = true };
        var expires = new Option<string?>("--expires") { Description = "When the licence ends (ISO date or time, UTC); absent = perpetual." };
        var entitlements = new Option<string[]>("--entitlement")
        {
            Description = "A feature the licence unlocks; repeat for several.",
            AllowMultipleArgumentsPerToken = false,
        };
        var type = new Option<string?>("--type") { Description = "floating (default: machines lease seats) or node_locked (machines are activated; --seats is the machine cap)." };
        type.AcceptOnlyFromAmong(LicenseTypes.Floating, LicenseTypes.NodeLocked);
        var borrowMax = new Option<int>("--borrow-max-hours") { Description = "How long a seat may be borrowed for offline work, in hours (0, the default: off)." };
        var create = new Command("create", "Issue a licence. Its full key is shown only now: store it.") { name, seats, expires, entitlements, type, borrowMax };
        create.SetAction(Run(terminal, async (parse, ct) =>
        {
            var (admin, org) = Admin(parse, terminal);
            using var _ = admin;
            var request = new CreateLicenseRequest(parse.GetValue(name), parse.GetValue(seats), ParseTime(parse.GetValue(expires), "--expires"),
                parse.GetValue(entitlements) is { Length: > 0 } e ? e : null, null, parse.GetValue(type), parse.GetValue(borrowMax));
            var license = await admin.CreateLicenseAsync(RequireOrg(org), request, ct);
            WriteLicense(parse, terminal, license);
            return ExitCodes.Ok;
        }));

        var status = new Option<string?>("--status") { Description = "Only licences with this status." };
        status.AcceptOnlyFromAmong(LicenseStatuses.Active, LicenseStatuses.Suspended, LicenseStatuses.Expired);
        var search = new Option<string?>("--search") { Description = "Only licences whose name contains this." };
        var page = new Option<int>("--page") { Description = "The page to show (50 per page).", DefaultValueFactory = _ => 1 };
        var list = new Command("list", "List the organization's licences.") { status, search, page };
        list.SetAction(Run(terminal, async (parse, ct) =>
        {
            var (admin, org) = Admin(parse, terminal);
            using var _ = admin;
            var result = await admin.ListLicensesAsync(RequireOrg(org), parse.GetValue(status), parse.GetValue(search), Math.Max(1, parse.GetValue(page)), ct: ct);
            if (parse.GetValue(JsonOption))
            {
                Output.WriteJson(terminal.Out, result);
                return ExitCodes.Ok;
            }

            Output.WriteTable(terminal.Out, ["ID", "NAME", "SEATS", "STATUS", "EXPIRES", "KEY"], result.Items.Select(l => new[]
            {
                l.Id.ToString(), l.Name, $"{l.SeatsUsed}/{l.SeatsTotal}", l.Status, Output.Time(l.ExpiresAt), l.KeyPreview,
            }));
            if (result.NextPage is { } next)
            {
                await terminal.Out.WriteLineAsync($"({result.Total} in all; next: --page {next})");
            }

            return ExitCodes.Ok;
        }));

        licenses.Add(create);
        licenses.Add(list);
        licenses.Add(LicenseAction(terminal, "show", "Show a licence, with its live seat count.", (a, o, id, ct) => a.GetLicenseAsync(o, id, ct)));
        licenses.Add(LicenseAction(terminal, "suspend", "Suspend a licence: acquires and heartbeats are refused until it is reinstated.",
            (a, o, id, ct) => a.SuspendLicenseAsync(o, id, ct)));
        licenses.Add(LicenseAction(terminal, "reinstate", "Lift a licence's suspension.", (a, o, id, ct) => a.ReinstateLicenseAsync(o, id, ct)));

        var renewId = new Argument<Guid>("id") { Description = "The licence's id." };
        var renewTo = new Option<string?>("--expires") { Description = "The new end (ISO date or time, UTC), or 'never' for perpetual.", Required = true };
        var renew = new Command("renew", "Set a licence's new expiry.") { renewId, renewTo };
        renew.SetAction(Run(terminal, async (parse, ct) =>
        {
            var (admin, org) = Admin(parse, terminal);
            using var _ = admin;
            var to = parse.GetValue(renewTo);
            var when = string.Equals(to, "never", StringComparison.OrdinalIgnoreCase) ? null : ParseTime(to, "--expires");
            WriteLicense(parse, terminal, await admin.RenewLicenseAsync(RequireOrg(org), parse.GetValue(renewId), when, ct));
            return ExitCodes.Ok;
        }));
        licenses.Add(renew);

        var borrowId = new Argument<Guid>("id") { Description = "The licence's id." };
        var borrowHours = new Option<int>("--max-hours") { Description = "The longest borrow in hours; 0 turns borrowing off.", Required = true };
        var borrowing = new Command("borrowing", "Set how long a client may borrow a seat for offline work.") { borrowId, borrowHours };
        borrowing.SetAction(Run(terminal, async (parse, ct) =>
        {
            var (admin, org) = Admin(parse, terminal);
            using var _ = admin;
            WriteLicense(parse, terminal, await admin.SetBorrowMaxHoursAsync(RequireOrg(org), parse.GetValue(borrowId), parse.GetValue(borrowHours), ct));
            return ExitCodes.Ok;
        }));
        licenses.Add(borrowing);

        var deleteId = new Argument<Guid>("id") { Description = "The licence's id." };
        var delete = new Command("delete", "Delete a licence and end its sessions.") { deleteId };
        delete.SetAction(Run(terminal, async (parse, ct) =>
        {
            var (admin, org) = Admin(parse, terminal);
            using var _ = admin;
            var id = parse.GetValue(deleteId);
            await admin.DeleteLicenseAsync(RequireOrg(org), id, ct);
            await WriteDone(parse, terminal, new { id, deleted = true }, $"Deleted licence {id}.");
            return ExitCodes.Ok;
        }));
        licenses.Add(delete);
        AddMachineCommands(licenses, terminal);
        return licenses;
    }

    private static Command LicenseAction(Terminal terminal, string name, string description,
        Func<AdminClient, string, Guid, CancellationToken, Task<LicenseResponse>> call)
    {
        var id = new Argument<Guid>("id") { Description = "The licence's id." };
        var command = new Command(name, description) { id };
        command.SetAction(Run(terminal, async (parse, ct) =>
        {
            var (admin, org) = Admin(parse, terminal);
            using var _ = admin;
            WriteLicense(parse, terminal, await call(admin, RequireOrg(org), parse.GetValue(id), ct));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void WriteLicense(ParseResult parse, Terminal terminal, LicenseResponse l)
    {
        if (parse.GetValue(JsonOption))
        {
            Output.WriteJson(terminal.Out, l);
            return;
        }

        Output.WriteFields(terminal.Out,
        [
            ("id", l.Id.ToString()),
            ("name", l.Name),
            ("license key", l.LicenseKey is null ? l.KeyPreview : l.LicenseKey + "   (shown only now: store it)"),
            ("status", l.Status),
            ("type", l.Type),
            (l.Type == LicenseTypes.NodeLocked ? "machines" : "seats", $"{l.SeatsUsed} used of {l.SeatsTotal}"),
            ("expires", Output.Time(l.ExpiresAt)),
            ("borrowing", l.BorrowMaxHours == 0 ? "off" : $"up to {l.BorrowMaxHours} h"),
            ("entitlements", l.Entitlements.Count == 0 ? "-" : string.Join(", ", l.Entitlements)),
            ("created", Output.Time(l.CreatedAt)),
        ]);
    }

    private static Command SessionsCommand(Terminal terminal)
    {
        var license = new Option<Guid>("--license") { Description = "The licence whose sessions to list.", Required = true };
        var all = new Option<bool>("--all") { Description = "Include ended sessions (released, expired, kicked), not only active ones." };
        var list = new Command("list", "List a licence's sessions (the machines holding its seats).") { license, all };
        list.SetAction(Run(terminal, async (parse, ct) =>
        {
            var (admin, org) = Admin(parse, terminal);
            using var _ = admin;
            var result = await admin.ListSessionsAsync(RequireOrg(org), parse.GetValue(license), parse.GetValue(all) ? null : SessionStatuses.Active, 1, 100, ct);
            if (parse.GetValue(JsonOption))
            {
                Output.WriteJson(terminal.Out, result);
            }
            else
            {
                Output.WriteTable(terminal.Out, ["ID", "HARDWARE", "STATUS", "STARTED", "LAST HEARTBEAT", "EXPIRES", "BORROWED UNTIL"], result.Items.Select(s => new[]
                {
                    s.Id.ToString(), s.HardwareId.Length > 16 ? s.HardwareId[..16] + "…" : s.HardwareId, s.Status,
                    Output.Time(s.StartedAt), Output.Time(s.LastHeartbeatAt), Output.Time(s.ExpiresAt),
                    s.BorrowedUntil is { } until ? Output.Time(until) : "-",
                }));
            }

            return ExitCodes.Ok;
        }));

        var sessionId = new Argument<Guid>("session-id") { Description = "The session to end." };
        var kick = new Command("kick", "End a session now: its seat is free at once and the holder's lease is lost.") { sessionId };
        kick.SetAction(Run(terminal, async (parse, ct) =>
        {
            var (admin, org) = Admin(parse, terminal);
            using var _ = admin;
            var id = parse.GetValue(sessionId);
            await admin.KickSessionAsync(RequireOrg(org), id, ct);
            await WriteDone(parse, terminal, new { id, kicked = true }, $"Kicked session {id}.");
            return ExitCodes.Ok;
        }));

        return new Command("sessions", "The machines holding a licence's seats.") { OrgOption, list, kick };
    }

    private static async Task WriteDone(ParseResult parse, Terminal terminal, object json, string text)
    {
        if (parse.GetValue(JsonOption))
        {
            Output.WriteJson(terminal.Out, json);
        }
        else
        {
            await terminal.Out.WriteLineAsync(text);
        }
    }

    private static DateTime? ParseTime(string? text, string option)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? value.UtcDateTime
            : throw new UsageException($"{option} '{text}' is not a date or time (e.g. 2027-01-31 or 2027-01-31T12:00:00Z).");
    }
}

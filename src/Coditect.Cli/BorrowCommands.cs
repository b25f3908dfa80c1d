using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coditect.Client;

namespace Coditect.Cli;

/// <summary>
/// <c>coditect lease borrow | return | show</c>: a seat borrowed for offline work. The borrowed seat (session, token, until
/// when; never the licence key) is kept in <c>borrowed.json</c> beside the credentials, per licence key (by its SHA-256)
/// and machine, so <c>return</c> and <c>show</c> find it.
/// </summary>
internal static partial class CliApp
{
    internal sealed record SavedBorrow(Guid SessionId, string HardwareId, string LeaseToken, DateTimeOffset BorrowedUntil);

    private static void AddBorrowCommands(Command lease, Terminal terminal)
    {
        var key = KeyOption();
        var hwid = HardwareOption("The machine's hardware id (default: this machine's, from HardwareId.Default()).");
        var hours = new Option<int>("--hours") { Description = "How long to borrow the seat for, from 1 to the licence's borrow_max_hours.", Required = true };
        var borrow = new Command("borrow", "Borrow a seat for offline work: held without heartbeats until its time ends or it is returned.") { key, hwid, hours };
        borrow.SetAction(Run(terminal, async (parse, ct) =>
        {
            var licenseKey = Required(parse, key, terminal, "CODITECT_LICENSE_KEY");
            var hardwareId = parse.GetValue(hwid) ?? HardwareId.Default();
            using var client = new LicenseClient(Server(parse, terminal), licenseKey);
            var seat = await client.BorrowAsync(hardwareId, parse.GetValue(hours), new AcquireOptions { Hostname = Environment.MachineName, AppVersion = "coditect-cli" }, ct);
            SaveBorrow(terminal, licenseKey, new SavedBorrow(seat.SessionId, seat.HardwareId, seat.Token, seat.BorrowedUntil));
            WriteBorrow(parse, terminal, new SavedBorrow(seat.SessionId, seat.HardwareId, seat.Token, seat.BorrowedUntil), null);
            return ExitCodes.Ok;
        }));

        var returnKey = KeyOption();
        var returnHwid = HardwareOption("The machine the seat was borrowed for (default: this machine's).");
        var session = new Option<Guid?>("--session") { Description = "The borrowed session (default: the one 'lease borrow' saved)." };
        var giveBack = new Command("return", "Give a borrowed seat back before its time ends.") { returnKey, returnHwid, session };
        giveBack.SetAction(Run(terminal, async (parse, ct) =>
        {
            var licenseKey = Required(parse, returnKey, terminal, "CODITECT_LICENSE_KEY");
            var hardwareId = parse.GetValue(returnHwid) ?? HardwareId.Default();
            var id = parse.GetValue(session) ?? LoadBorrow(terminal, licenseKey, hardwareId)?.SessionId
                ?? throw new UsageException("No borrowed seat is saved for this licence key and machine; name it with --session.");
            using var client = new LicenseClient(Server(parse, terminal), licenseKey);
            await client.ReleaseAsync(id, ct);
            ForgetBorrow(terminal, licenseKey, hardwareId);
            await WriteDone(parse, terminal, new { session_id = id, returned = true }, $"Returned session {id}.");
            return ExitCodes.Ok;
        }));

        var showKey = KeyOption();
        var showHwid = HardwareOption("The machine the seat was borrowed for (default: this machine's).");
        var show = new Command("show", "Show the saved borrowed seat and check its token offline (exit 1 once it has ended).") { showKey, showHwid };
        show.SetAction(Run(terminal, async (parse, ct) =>
        {
            var licenseKey = Required(parse, showKey, terminal, "CODITECT_LICENSE_KEY");
            var hardwareId = parse.GetValue(showHwid) ?? HardwareId.Default();
            var saved = LoadBorrow(terminal, licenseKey, hardwareId)
                ?? throw new UsageException("No borrowed seat is saved for this licence key and machine.");
            string? problem = null;
            try
            {
                // Offline when the signing keys are cached (they are after 'lease borrow'); the server only for a new key.
                await new SigningKeys(Server(parse, terminal)).VerifyAsync(saved.LeaseToken, hardwareId, ct);
            }
            catch (LeaseTokenException e)
            {
                problem = e.Message;
            }

            WriteBorrow(parse, terminal, saved, problem ?? "");
            return problem is null ? ExitCodes.Ok : ExitCodes.Other;
        }));

        lease.Add(borrow);
        lease.Add(giveBack);
        lease.Add(show);
    }

    private static void WriteBorrow(ParseResult parse, Terminal terminal, SavedBorrow seat, string? problem)
    {
        if (parse.GetValue(JsonOption))
        {
            Output.WriteJson(terminal.Out, new
            {
                session_id = seat.SessionId,
                hardware_id = seat.HardwareId,
                borrowed_until = seat.BorrowedUntil,
                lease_token = seat.LeaseToken,
                valid = problem is null ? (bool?)null : problem.Length == 0,
                problem = string.IsNullOrEmpty(problem) ? null : problem,
            });
            return;
        }

        Output.WriteFields(terminal.Out,
        [
            ("session", seat.SessionId.ToString()),
            ("borrowed until", Output.TimeOf(seat.BorrowedUntil)),
            ("hardware id", seat.HardwareId),
            ("valid", problem is null ? null : problem.Length == 0 ? "yes (checked offline)" : "no: " + problem),
            ("lease token", seat.LeaseToken),
        ]);
    }

    private static string BorrowsPath(Terminal terminal) => System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Credentials.PathFor(terminal))!, "borrowed.json");

    private static string BorrowKey(string licenseKey, string hardwareId) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(licenseKey.Trim()))).ToLowerInvariant() + "/" + hardwareId;

    private static Dictionary<string, SavedBorrow> LoadBorrows(Terminal terminal)
    {
        var path = BorrowsPath(terminal);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<Dictionary<string, SavedBorrow>>(File.ReadAllText(path), Output.Json) ?? [] : [];
        }
        catch (JsonException)
        {
            throw new UsageException($"{path} is damaged; delete it and borrow again.");
        }
    }

    private static void StoreBorrows(Terminal terminal, Dictionary<string, SavedBorrow> borrows)
    {
        var path = BorrowsPath(terminal);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(borrows, Output.Json));
    }

    private static SavedBorrow? LoadBorrow(Terminal terminal, string licenseKey, string hardwareId) =>
        LoadBorrows(terminal).GetValueOrDefault(BorrowKey(licenseKey, hardwareId));

    private static void SaveBorrow(Terminal terminal, string licenseKey, SavedBorrow seat)
    {
        var borrows = LoadBorrows(terminal);
        borrows[BorrowKey(licenseKey, seat.HardwareId)] = seat;
        StoreBorrows(terminal, borrows);
    }

    private static void ForgetBorrow(Terminal terminal, string licenseKey, string hardwareId)
    {
        var borrows = LoadBorrows(terminal);
        if (borrows.Remove(BorrowKey(licenseKey, hardwareId)))
        {
            StoreBorrows(terminal, borrows);
        }
    }
}

using System.CommandLine;
using System.Text.Json;
using Coditect.Client;
using Coditect.Contracts.Licensing;

namespace Coditect.Cli;

/// <summary>Node-locked licences (activate, deactivate, machines) and licence files (file, verify-file) under <c>licenses</c>.</summary>
internal static partial class CliApp
{
    private static void AddMachineCommands(Command licenses, Terminal terminal)
    {
        var key = KeyOption();
        var hwid = HardwareOption("The machine's hardware id (default: this machine's, from HardwareId.Default()).");
        var machineName = new Option<string?>("--name") { Description = "A name for the machine, shown to the vendor (default: the host name)." };
        var platform = new Option<string?>("--platform") { Description = "The machine's platform (default: this one's, e.g. linux-x64)." };
        var activate = new Command("activate", "Activate this machine on a node-locked licence (with its key, no sign-in); again is not an error.")
        {
            key, hwid, machineName, platform,
        };
        activate.SetAction(Run(terminal, async (parse, ct) =>
        {
            using var client = new LicenseClient(Server(parse, terminal), Required(parse, key, terminal, "CODITECT_LICENSE_KEY"));
            var answer = await client.ActivateAsync(parse.GetValue(hwid) ?? HardwareId.Default(),
                parse.GetValue(machineName) ?? Environment.MachineName,
                parse.GetValue(platform) ?? System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, ct);
            if (parse.GetValue(JsonOption))
            {
                Output.WriteJson(terminal.Out, answer);
            }
            else
            {
                Output.WriteFields(terminal.Out,
                [
                    ("machine", answer.MachineId.ToString()),
                    ("machines", $"{answer.MachinesUsed} activated of {answer.SeatsTotal}"),
                    ("expires", Output.Time(answer.ExpiresAt)),
                    ("activation token", answer.ActivationToken),
                ]);
            }

            return ExitCodes.Ok;
        }));

        var deactivateKey = KeyOption();
        var deactivateHwid = HardwareOption("The machine to deactivate (default: this machine).");
        var deactivate = new Command("deactivate", "Deactivate a machine of a node-locked licence (with its key): its place is free at once.")
        {
            deactivateKey, deactivateHwid,
        };
        deactivate.SetAction(Run(terminal, async (parse, ct) =>
        {
            using var client = new LicenseClient(Server(parse, terminal), Required(parse, deactivateKey, terminal, "CODITECT_LICENSE_KEY"));
            var hardwareId = parse.GetValue(deactivateHwid) ?? HardwareId.Default();
            await client.DeactivateAsync(hardwareId, ct);
            await WriteDone(parse, terminal, new { hardware_id = hardwareId, deactivated = true }, $"Deactivated {hardwareId}.");
            return ExitCodes.Ok;
        }));

        var machinesId = new Argument<Guid>("id") { Description = "The licence's id." };
        var machines = new Command("machines", "List the machines activated on a node-locked licence, newest first.") { machinesId };
        machines.SetAction(Run(terminal, async (parse, ct) =>
        {
            var (admin, org) = Admin(parse, terminal);
            using var _ = admin;
            var items = new List<MachineResponse>();
            await foreach (var machine in admin.ListMachinesAsync(RequireOrg(org), parse.GetValue(machinesId), ct: ct))
            {
                items.Add(machine);
            }

            if (parse.GetValue(JsonOption))
            {
                Output.WriteJson(terminal.Out, items);
                return ExitCodes.Ok;
            }

            Output.WriteTable(terminal.Out, ["ID", "HARDWARE ID", "NAME", "PLATFORM", "ACTIVATED", "LAST SEEN"], items.Select(m => new[]
            {
                m.Id.ToString(), m.HardwareId, m.Name ?? "-", m.Platform ?? "-", Output.Time(m.ActivatedAt), Output.Time(m.LastSeenAt),
            }));
            return ExitCodes.Ok;
        }));

        var fileId = new Argument<Guid>("id") { Description = "The licence's id." };
        var fileHwid = HardwareOption("Bind the file to this machine's hardware id (default: a file for the licence as a whole).");
        var output = new Option<string?>("--out") { Description = "Write the licence file here (default: standard output)." };
        var file = new Command("file", "Download a signed licence file for an air-gapped machine (verify it with verify-file).") { fileId, fileHwid, output };
        file.SetAction(Run(terminal, async (parse, ct) =>
        {
            var (admin, org) = Admin(parse, terminal);
            using var _ = admin;
            var issued = await admin.IssueLicenseFileAsync(RequireOrg(org), parse.GetValue(fileId), parse.GetValue(fileHwid), ct);
            var text = JsonSerializer.Serialize(new { license_file = issued.LicenseFile, jwks = issued.Jwks, expires_at = issued.ExpiresAt });
            if (parse.GetValue(output) is { } path)
            {
                await File.WriteAllTextAsync(path, text + "\n", ct);
                await terminal.Error.WriteLineAsync($"coditect: wrote the licence file to {path} (expires {Output.Time(issued.ExpiresAt)}).");
            }
            else
            {
                await terminal.Out.WriteLineAsync(text);
            }

            return ExitCodes.Ok;
        }));

        var verifyPath = new Argument<string>("file") { Description = "The licence file (the JSON 'licenses file' saves, or the bare JWS)." };
        var orgId = new Option<Guid?>("--org-id") { Description = "The vendor's organization id the file must be issued by.", Required = true };
        var verifyHwid = HardwareOption("This machine's hardware id, for a file bound to a machine (default: this machine's).");
        var jwks = new Option<string?>("--jwks") { Description = "Trust the keys of this JWKS file instead of the server's (fetched, or cached from an earlier fetch)." };
        var verifyFile = new Command("verify-file", "Verify a licence file offline: trusted key, signature, expiry, organization and machine.")
        {
            verifyPath, orgId, verifyHwid, jwks,
        };
        verifyFile.SetAction(Run(terminal, async (parse, ct) =>
        {
            string text;
            try
            {
                text = await File.ReadAllTextAsync(parse.GetValue(verifyPath)!, ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"{parse.GetValue(verifyPath)}: {e.Message}");
            }

            JsonWebKeySet trusted;
            if (parse.GetValue(jwks) is { } jwksPath)
            {
                try
                {
                    trusted = JsonWebKeySet.Load(jwksPath);
                }
                catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
                {
                    throw new UsageException($"--jwks {jwksPath}: {e.Message}");
                }
            }
            else
            {
                trusted = await new SigningKeys(Server(parse, terminal)).GetAsync(parse.GetValue(orgId)!.Value, ct);
            }

            var verified = LicenseFile.Verify(text, trusted, parse.GetValue(orgId)!.Value, DateTimeOffset.UtcNow,
                parse.GetValue(verifyHwid) ?? HardwareId.Default());
            if (parse.GetValue(JsonOption))
            {
                Output.WriteJson(terminal.Out, new
                {
                    valid = true,
                    license_id = verified.LicenseId,
                    org_id = verified.OrganizationId,
                    name = verified.Name,
                    type = verified.LicenseType,
                    hardware_id = verified.HardwareId,
                    seats_total = verified.SeatsTotal,
                    entitlements = verified.Entitlements,
                    license_expires_at = verified.LicenseExpiresAt,
                    issued_at = verified.IssuedAt,
                    expires_at = verified.ExpiresAt,
                    kid = verified.KeyId,
                });
            }
            else
            {
                Output.WriteFields(terminal.Out,
                [
                    ("valid", "yes"),
                    ("licence", $"{verified.LicenseId} ({verified.Name})"),
                    ("type", verified.LicenseType),
                    (verified.HardwareId is null ? "seats" : "machine", verified.HardwareId ?? verified.SeatsTotal?.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    ("expires", Output.TimeOf(verified.ExpiresAt)),
                    ("entitlements", verified.Entitlements.Count == 0 ? "-" : string.Join(", ", verified.Entitlements)),
                    ("signed by", verified.KeyId),
                ]);
            }

            return ExitCodes.Ok;
        }));

        licenses.Add(activate);
        licenses.Add(deactivate);
        licenses.Add(machines);
        licenses.Add(file);
        licenses.Add(verifyFile);
    }
}

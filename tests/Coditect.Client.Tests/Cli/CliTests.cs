using System.Text.Json;
using Coditect.Cli;
using Coditect.Client.Tests.Infrastructure;

namespace Coditect.Client.Tests.Cli;

/// <summary>The <c>coditect</c> CLI, run through its entry point in process against the real server.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class CliTests(RealServer server)
{
    private readonly string _config = Directory.CreateTempSubdirectory("coditect-cli-").FullName;

    private Task<CliResult> RunWith(Dictionary<string, string?>? env, params string[] args) => Run(env, CancellationToken.None, args);

    private Task<CliResult> Run(Dictionary<string, string?>? env, CancellationToken ct, params string[] args)
    {
        var environment = new Dictionary<string, string?> { ["CODITECT_CONFIG_DIR"] = _config, ["CODITECT_SERVER"] = server.Uri.AbsoluteUri };
        foreach (var (k, v) in env ?? [])
        {
            environment[k] = v;
        }

        return CliRun.RunAsync(environment, ct, args);
    }

    private Task<CliResult> Run(params string[] args) => RunWith(null, args);

    [Fact]
    public async Task Help_describes_every_command_and_exits_0()
    {
        var root = await Run("--help");
        root.Exit.ShouldBe(0);
        foreach (var command in new[] { "login", "orgs", "licenses", "sessions", "lease", "validate", "projects", "tasks", "plans", "repo", "Exit codes" })
        {
            root.Out.ShouldContain(command);
        }

        foreach (var command in new[] { "orgs list", "orgs create", "licenses create", "licenses list", "licenses show", "licenses suspend",
                     "licenses reinstate", "licenses renew", "licenses delete", "sessions list", "sessions kick", "lease acquire", "lease verify", "validate", "login",
                     "projects list", "projects import", "tasks create", "tasks status", "tasks depend", "plans put", "plans diff", "repo sync" })
        {
            var help = await Run([.. command.Split(' '), "--help"]);
            help.Exit.ShouldBe(0, command);
            help.Out.ShouldContain("Usage:", customMessage: command);
            help.Out.ShouldContain("--server", customMessage: command);
        }
    }

    [Fact]
    public async Task Usage_errors_exit_2_with_one_line_on_stderr()
    {
        var unknown = await Run("licenses", "frobnicate");
        unknown.Exit.ShouldBe(2);
        unknown.Error.Trim().Split('\n').ShouldHaveSingleItem();

        (await Run("licenses", "create", "--name", "x")).Exit.ShouldBe(2); // --seats missing
        (await Run("licenses", "show", "not-a-guid")).Exit.ShouldBe(2);
        var noServer = await RunWith(new() { ["CODITECT_SERVER"] = null }, "validate", "--key", "K");
        noServer.Exit.ShouldBe(2);
        noServer.Error.ShouldContain("--server");
    }

    [Fact]
    public async Task Not_signed_in_exits_5_and_an_unreachable_server_exits_6()
    {
        var anonymous = await Run("orgs", "list");
        anonymous.Exit.ShouldBe(5);
        anonymous.Error.ShouldContain("coditect login");

        var down = await RunWith(new() { ["CODITECT_SERVER"] = "http://127.0.0.1:1" }, "lease", "acquire", "--key", "K", "--hwid", "h");
        down.Exit.ShouldBe(6);
        down.Error.Trim().Split('\n').ShouldHaveSingleItem();
    }

    [Fact]
    public async Task The_whole_admin_and_lease_workflow_works_end_to_end()
    {
        var vendor = await server.NewVendorAsync();
        var login = await RunWith(new() { ["CODITECT_PASSWORD"] = vendor.Password }, "login", "--email", vendor.Email);
        login.Exit.ShouldBe(0, login.Error);
        var credentials = Path.Combine(_config, "credentials.json");
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(credentials).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var orgs = await Run("orgs", "list", "--json");
        orgs.Exit.ShouldBe(0);
        orgs.Json.GetProperty("items")[0].GetProperty("slug").GetString().ShouldBe(vendor.Org);
        var slug = "cli-" + Guid.NewGuid().ToString("N")[..8];
        var created = await Run("orgs", "create", "Second org", "--slug", slug);
        created.Exit.ShouldBe(0, created.Error);
        created.Out.ShouldContain(slug);

        var license = await Run("licenses", "create", "--name", "Acme", "--seats", "1", "--entitlement", "pro", "--entitlement", "export", "--json");
        license.Exit.ShouldBe(0, license.Error);
        var id = license.Json.GetProperty("id").GetString()!;
        var key = license.Json.GetProperty("license_key").GetString()!;
        license.Json.GetProperty("entitlements").GetArrayLength().ShouldBe(2);

        var table = await Run("licenses", "list");
        table.Exit.ShouldBe(0);
        table.Out.ShouldContain("Acme");
        table.Out.ShouldContain("0/1");
        (await Run("licenses", "show", id)).Out.ShouldContain("Acme");
        (await Run("licenses", "show", Guid.NewGuid().ToString())).Exit.ShouldBe(3);

        var acquired = await Run("lease", "acquire", "--key", key, "--hwid", "cli-hw-1", "--json");
        acquired.Exit.ShouldBe(0, acquired.Error);
        var session = acquired.Json.GetProperty("session_id").GetString()!;
        var token = acquired.Json.GetProperty("lease_token").GetString()!;

        var full = await Run("lease", "acquire", "--key", key, "--hwid", "cli-hw-2");
        full.Exit.ShouldBe(4);
        full.Error.ShouldContain("NO_SEATS_AVAILABLE");

        var verified = await Run("lease", "verify", token, "--hwid", "cli-hw-1", "--json");
        verified.Exit.ShouldBe(0, verified.Error);
        verified.Json.GetProperty("session_id").GetString().ShouldBe(session);
        (await Run("lease", "verify", token, "--hwid", "cli-hw-2")).Exit.ShouldBe(1);
        (await Run("lease", "verify", token[..^4] + "AAAA", "--hwid", "cli-hw-1")).Exit.ShouldBe(1);
        var otherOrganization = await Run("lease", "verify", token, "--hwid", "cli-hw-1", "--org-id", Guid.NewGuid().ToString());
        otherOrganization.Exit.ShouldBe(1);
        otherOrganization.Error.ShouldContain("another organization");

        var sessions = await Run("sessions", "list", "--license", id, "--json");
        sessions.Exit.ShouldBe(0);
        sessions.Json.GetProperty("items")[0].GetProperty("id").GetString().ShouldBe(session);
        (await Run("sessions", "kick", session)).Exit.ShouldBe(0);
        (await Run("sessions", "list", "--license", id)).Out.ShouldContain("(none)");

        var valid = await Run("validate", "--key", key, "--json");
        valid.Exit.ShouldBe(0);
        valid.Json.GetProperty("code").GetString().ShouldBe("VALID");

        var suspended = await Run("licenses", "suspend", id, "--json");
        suspended.Json.GetProperty("status").GetString().ShouldBe("suspended");
        var invalid = await Run("validate", "--key", key);
        invalid.Exit.ShouldBe(1);
        invalid.Out.ShouldContain("SUSPENDED");
        (await Run("lease", "acquire", "--key", key, "--hwid", "cli-hw-3")).Exit.ShouldBe(1);
        (await Run("licenses", "reinstate", id, "--json")).Json.GetProperty("status").GetString().ShouldBe("active");

        var renewed = await Run("licenses", "renew", id, "--expires", "2031-01-31", "--json");
        renewed.Exit.ShouldBe(0, renewed.Error);
        renewed.Json.GetProperty("expires_at").GetString()!.ShouldStartWith("2031-01-31");

        (await Run("validate", "--key", "NO-SUCH-KEY")).Exit.ShouldBe(3);
        (await Run("licenses", "delete", id)).Exit.ShouldBe(0);
        (await Run("licenses", "show", id)).Exit.ShouldBe(3);
    }

    [Fact]
    public async Task Lease_acquire_hold_keeps_the_seat_until_cancelled_then_releases_it()
    {
        var vendor = await server.NewVendorAsync();
        var license = await vendor.NewLicenseAsync(seats: 1);
        using var client = server.LicenseClient(license.LicenseKey!);
        using var stop = new CancellationTokenSource();
        var holding = Run(null, stop.Token, "lease", "acquire", "--key", license.LicenseKey!, "--hwid", "cli-hold", "--hold");

        await Eventually.TrueAsync(() => client.ValidateAsync("cli-hold").Result.Code == "VALID", TimeSpan.FromSeconds(20), "the seat is held");
        await Task.Delay(TimeSpan.FromSeconds(8)); // past a lease lifetime: the CLI heartbeats
        (await client.ValidateAsync("cli-hold")).Code.ShouldBe("VALID");

        await stop.CancelAsync();
        var result = await holding;
        result.Exit.ShouldBe(0, result.Error);
        result.Out.ShouldContain("Released");
        (await client.ValidateAsync("cli-hold")).Code.ShouldBe("NO_SESSION");
        await using var other = await client.AcquireAsync("cli-other");
    }
}

using Coditect.Client.Tests.Infrastructure;

namespace Coditect.Client.Tests.Cli;

/// <summary><c>coditect licenses borrowing</c> and <c>coditect lease borrow | show | return</c> against the real server.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class BorrowCommandsTests(RealServer server)
{
    private readonly string _config = Directory.CreateTempSubdirectory("coditect-cli-").FullName;

    private Task<CliResult> Run(params string[] args) =>
        CliRun.RunAsync(new Dictionary<string, string?> { ["CODITECT_CONFIG_DIR"] = _config, ["CODITECT_SERVER"] = server.Uri.AbsoluteUri },
            CancellationToken.None, args);

    [Fact]
    public async Task Borrow_show_and_return_a_seat_from_the_command_line()
    {
        var vendor = await server.NewVendorAsync();
        var license = await vendor.NewLicenseAsync(seats: 1);
        var key = license.LicenseKey!;
        var env = new Dictionary<string, string?> { ["CODITECT_CONFIG_DIR"] = _config, ["CODITECT_SERVER"] = server.Uri.AbsoluteUri, ["CODITECT_PASSWORD"] = vendor.Password };
        (await CliRun.RunAsync(env, CancellationToken.None, "login", "--email", vendor.Email)).Exit.ShouldBe(0);

        var off = await Run("lease", "borrow", "--key", key, "--hwid", "cli-plane", "--hours", "2");
        off.Exit.ShouldNotBe(0);
        off.Error.ShouldContain("BORROWING_NOT_ALLOWED");
        var allowed = await Run("licenses", "borrowing", license.Id.ToString(), "--max-hours", "8", "--org", vendor.Org, "--json");
        allowed.Exit.ShouldBe(0, allowed.Error);
        allowed.Json.GetProperty("borrow_max_hours").GetInt32().ShouldBe(8);

        var borrowed = await Run("lease", "borrow", "--key", key, "--hwid", "cli-plane", "--hours", "2", "--json");
        borrowed.Exit.ShouldBe(0, borrowed.Error);
        var session = borrowed.Json.GetProperty("session_id").GetString()!;
        File.ReadAllText(Path.Combine(_config, "borrowed.json")).ShouldNotContain(key);

        var shown = await Run("lease", "show", "--key", key, "--hwid", "cli-plane", "--json");
        shown.Exit.ShouldBe(0, shown.Error);
        shown.Json.GetProperty("session_id").GetString().ShouldBe(session);
        shown.Json.GetProperty("valid").GetBoolean().ShouldBeTrue();
        var sessions = await Run("sessions", "list", "--license", license.Id.ToString(), "--org", vendor.Org);
        sessions.Out.ShouldContain("BORROWED UNTIL");
        (await Run("lease", "acquire", "--key", key, "--hwid", "cli-desk")).Exit.ShouldBe(4);

        var returned = await Run("lease", "return", "--key", key, "--hwid", "cli-plane");
        returned.Exit.ShouldBe(0, returned.Error);
        returned.Out.ShouldContain(session);
        (await Run("lease", "show", "--key", key, "--hwid", "cli-plane")).Exit.ShouldBe(2);
        (await Run("lease", "acquire", "--key", key, "--hwid", "cli-desk")).Exit.ShouldBe(0);
    }
}

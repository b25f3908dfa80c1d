using Coditect.Client.Tests.Infrastructure;

namespace Coditect.Client.Tests.Cli;

/// <summary>coditect licenses activate, deactivate, machines, file and verify-file against the shared server.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class MachineCommandsTests(RealServer server)
{
    private readonly string _config = Directory.CreateTempSubdirectory("coditect-cli-").FullName;

    private Task<CliResult> Run(params string[] args) => RunWith(null, args);

    private Task<CliResult> RunWith(Dictionary<string, string?>? env, params string[] args)
    {
        var environment = new Dictionary<string, string?> { ["CODITECT_CONFIG_DIR"] = _config, ["CODITECT_SERVER"] = server.Uri.AbsoluteUri };
        foreach (var (k, v) in env ?? [])
        {
            environment[k] = v;
        }

        return CliRun.RunAsync(environment, CancellationToken.None, args);
    }

    [Fact]
    public async Task Node_locked_machines_and_licence_files_work_end_to_end()
    {
        var vendor = await server.NewVendorAsync();
        (await RunWith(new() { ["CODITECT_PASSWORD"] = vendor.Password }, "login", "--email", vendor.Email)).Exit.ShouldBe(0);
        var orgId = (await Run("orgs", "list", "--json")).Json.GetProperty("items")[0].GetProperty("id").GetString()!;
        var created = await Run("licenses", "create", "--name", "Desk", "--seats", "1", "--type", "node_locked", "--entitlement", "pro", "--json");
        created.Exit.ShouldBe(0, created.Error);
        created.Json.GetProperty("type").GetString().ShouldBe("node_locked");
        var id = created.Json.GetProperty("id").GetString()!;
        var key = created.Json.GetProperty("license_key").GetString()!;

        var activated = await Run("licenses", "activate", "--key", key, "--hwid", "hw-cli-1", "--json");
        activated.Exit.ShouldBe(0, activated.Error);
        activated.Json.GetProperty("activation_token").GetString().ShouldNotBeNullOrEmpty();
        var full = await Run("licenses", "activate", "--key", key, "--hwid", "hw-cli-2");
        full.Exit.ShouldBe(1);
        full.Error.ShouldContain("MACHINE_LIMIT_REACHED");
        var machines = await Run("licenses", "machines", id, "--json");
        machines.Exit.ShouldBe(0, machines.Error);
        machines.Json[0].GetProperty("hardware_id").GetString().ShouldBe("hw-cli-1");
        (await Run("licenses", "deactivate", "--key", key, "--hwid", "hw-cli-1")).Exit.ShouldBe(0);
        (await Run("licenses", "deactivate", "--key", key, "--hwid", "hw-cli-1")).Exit.ShouldBe(3);

        var path = Path.Combine(_config, "air.lic");
        var file = await Run("licenses", "file", id, "--hwid", "hw-air", "--out", path);
        file.Exit.ShouldBe(0, file.Error);
        var verified = await Run("licenses", "verify-file", path, "--org-id", orgId, "--hwid", "hw-air", "--json");
        verified.Exit.ShouldBe(0, verified.Error);
        verified.Json.GetProperty("license_id").GetString().ShouldBe(id);

        var otherMachine = await Run("licenses", "verify-file", path, "--org-id", orgId, "--hwid", "hw-other");
        otherMachine.Exit.ShouldNotBe(0);
        otherMachine.Error.ShouldContain("another machine");
        var text = await File.ReadAllTextAsync(path);
        var token = text.Split('"')[3];
        var parts = token.Split('.');
        var tampered = Path.Combine(_config, "tampered.lic");
        await File.WriteAllTextAsync(tampered, parts[0] + "." + parts[1] + "." + new string('A', parts[2].Length));
        var refused = await Run("licenses", "verify-file", tampered, "--org-id", orgId, "--hwid", "hw-air");
        refused.Exit.ShouldNotBe(0);
        refused.Error.ShouldContain("signature");
    }
}

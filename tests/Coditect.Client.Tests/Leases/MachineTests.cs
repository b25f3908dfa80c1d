using Coditect.Contracts.Licensing;
using Coditect.Client.Tests.Infrastructure;

namespace Coditect.Client.Tests.Leases;

/// <summary>The SDK against a real server: node-locked activation and licence files, verified offline.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class MachineTests(RealServer server)
{
    [Fact]
    public async Task A_machine_activates_verifies_its_token_offline_and_deactivates()
    {
        var vendor = await server.NewVendorAsync();
        var orgId = await vendor.OrgIdAsync();
        var license = await vendor.Admin.CreateLicenseAsync(vendor.Org,
            new CreateLicenseRequest("Node-locked", 1, null, ["pro"], null, LicenseTypes.NodeLocked));
        license.Type.ShouldBe(LicenseTypes.NodeLocked);
        using var client = server.LicenseClient(license.LicenseKey!);

        var activation = await client.ActivateAsync("hw-sdk-1", "Build box", "linux-x64");
        var keys = await client.SigningKeys.GetAsync(orgId);
        var token = ActivationToken.Verify(activation.ActivationToken, keys, orgId, "hw-sdk-1", DateTimeOffset.UtcNow);
        token.MachineId.ShouldBe(activation.MachineId);
        (await client.ActivateAsync("hw-sdk-1")).MachineId.ShouldBe(activation.MachineId);
        (await Should.ThrowAsync<ConflictException>(() => client.ActivateAsync("hw-sdk-2"))).Code.ShouldBe("MACHINE_LIMIT_REACHED");

        var machines = new List<MachineResponse>();
        await foreach (var machine in vendor.Admin.ListMachinesAsync(vendor.Org, license.Id))
        {
            machines.Add(machine);
        }

        machines.ShouldHaveSingleItem().HardwareId.ShouldBe("hw-sdk-1");
        await client.DeactivateAsync("hw-sdk-1");
        (await client.ActivateAsync("hw-sdk-2")).MachineId.ShouldNotBe(activation.MachineId);
    }

    [Fact]
    public async Task A_downloaded_licence_file_verifies_against_the_server_s_keys()
    {
        var vendor = await server.NewVendorAsync();
        var orgId = await vendor.OrgIdAsync();
        var license = await vendor.NewLicenseAsync(seats: 3);
        using var client = server.LicenseClient(license.LicenseKey!);
        var trusted = await client.SigningKeys.GetAsync(orgId);

        var issued = await vendor.Admin.IssueLicenseFileAsync(vendor.Org, license.Id, "hw-air");
        var file = System.Text.Json.JsonSerializer.Serialize(new { license_file = issued.LicenseFile, jwks = issued.Jwks });

        var verified = LicenseFile.Verify(file, trusted, orgId, DateTimeOffset.UtcNow, "hw-air");
        verified.LicenseId.ShouldBe(license.Id);
        verified.Entitlements.ShouldBe(["pro"]);
        Should.Throw<LeaseTokenException>(() => LicenseFile.Verify(file, trusted, Guid.NewGuid(), DateTimeOffset.UtcNow, "hw-air"))
            .Reason.ShouldBe(LeaseTokenFailure.WrongOrganization);
    }

}

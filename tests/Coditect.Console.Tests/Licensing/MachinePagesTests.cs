using Coditect.Client;
using Coditect.Console.Tests.Infrastructure;
using Coditect.Contracts.Licensing;
using Microsoft.Playwright;

namespace Coditect.Console.Tests.Licensing;

/// <summary>The licence page of a node-locked licence: its machines with a deactivate action, and the licence file download.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class MachinePagesTests(ConsoleFixture console)
{
    [Theory]
    [InlineData(Backend.Sqlite)]
    public async Task Machines_show_on_the_licence_page_deactivate_and_the_licence_file_downloads(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        var person = await page.SignUpAsync();
        var server = console.Server(backend);
        using var admin = await server.AdminAsync(person);
        var license = await admin.CreateLicenseAsync(person.OrgSlug, new CreateLicenseRequest("Desks", 2, null, ["pro"], null, LicenseTypes.NodeLocked));
        using var application = server.Application(license.LicenseKey!);
        await application.ActivateAsync("hw-desk-1", "Desk one", "linux-x64");
        await application.ActivateAsync("hw-desk-2", "Desk two", "win-x64");

        await page.GotoAsync(person.OrgPath($"/licenses/{license.Id}"));
        await Assertions.Expect(page.Locator("#fact-type")).ToContainTextAsync("Node-locked");
        var rows = page.Rows("machines-table");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await Assertions.Expect(rows.First).ToContainTextAsync("hw-desk-2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Deactivate hw-desk-2" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("deactivated");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        (await application.ValidateAsync("hw-desk-2")).Code.ShouldBe(ValidationCodes.NotActivated);

        await page.GetByLabel("Hardware id").FillAsync("hw-air");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download licence file" }).ClickAsync());
        var path = await download.PathAsync();
        var orgId = (await admin.ListOrganizationsAsync()).Items.Single(o => o.Slug == person.OrgSlug).Id;
        var keys = await new SigningKeys(server.Uri, new LicenseClientOptions { JwksCachePath = "" }).GetAsync(orgId);
        var file = LicenseFile.Verify(await File.ReadAllTextAsync(path!), keys, orgId, DateTimeOffset.UtcNow, "hw-air");
        file.LicenseId.ShouldBe(license.Id);
        file.LicenseType.ShouldBe(LicenseTypes.NodeLocked);
    }
}

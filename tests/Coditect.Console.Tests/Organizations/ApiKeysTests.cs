using System.Net;
using System.Net.Http.Headers;
using Coditect.Console.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Coditect.Console.Tests.Organizations;

[Collection(ConsoleCollection.Name)]
public sealed class ApiKeysTests(ConsoleFixture console)
{
    [Theory]
    [InlineData(Backend.Sqlite)]
    [InlineData(Backend.Postgres)]
    public async Task A_new_key_is_shown_once_works_against_the_api_and_stops_when_revoked(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        var owner = await page.SignUpAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "API keys" }).ClickAsync();

        await page.GetByLabel("Name").FillAsync("CI pipeline");
        await page.GetByLabel("Role").SelectOptionAsync("admin");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create API key" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("shown only once");
        var key = (await page.Locator("#api-key").TextContentAsync())!.Trim();
        key.ShouldStartWith("cdk_");
        await Assertions.Expect(page.Locator(".secret button[data-copy=api-key]")).ToHaveTextAsync("Copy");
        using var api = new HttpClient { BaseAddress = console.Server(backend).Uri };
        (await GetOrganizationAsync(api, owner, key)).ShouldBe(HttpStatusCode.OK);

        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#api-key")).ToHaveCountAsync(0);
        (await page.ContentAsync()).ShouldNotContain(key);
        var row = page.Locator("table.data tbody tr").Filter(new() { HasText = "CI pipeline" });
        await Assertions.Expect(row).ToContainTextAsync(key[..12]);
        await Assertions.Expect(row).ToContainTextAsync("active");

        await row.GetByRole(AriaRole.Link, new() { Name = "Revoke" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Revoke “CI pipeline”?");
        await page.ShouldBeAccessibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke API key" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("is revoked");
        await Assertions.Expect(row).ToContainTextAsync("revoked");
        await Assertions.Expect(row.GetByRole(AriaRole.Link, new() { Name = "Revoke" })).ToHaveCountAsync(0);
        (await GetOrganizationAsync(api, owner, key)).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_admin_is_offered_no_key_stronger_than_admin_and_a_forged_owner_key_is_refused()
    {
        var ownerPage = await console.NewPageAsync(Backend.Sqlite);
        var owner = await ownerPage.SignUpAsync();
        var (page, _) = await console.AddMemberAsync(Backend.Sqlite, ownerPage, owner, "admin");

        await page.GotoAsync(owner.OrgPath("/api-keys"));
        var offered = await page.GetByLabel("Role").Locator("option").AllTextContentsAsync();
        var forged = await page.ForgePostAsync(owner.OrgPath("/api-keys"), new Dictionary<string, string> { ["name"] = "root", ["role"] = "owner" });

        offered.ShouldBe(["admin", "member", "viewer"]);
        forged.Status.ShouldBe((int)HttpStatusCode.Forbidden);
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByText("No API keys yet.")).ToBeVisibleAsync();
    }

    [Theory]
    [InlineData(ColorScheme.Light)]
    [InlineData(ColorScheme.Dark)]
    public async Task The_api_keys_page_is_accessible(ColorScheme scheme)
    {
        var page = await console.NewPageAsync(Backend.Sqlite, scheme);
        var owner = await page.SignUpAsync("Initech");
        await page.GotoAsync(owner.OrgPath("/api-keys"));
        await page.ShouldBeAccessibleAsync(); // empty
        foreach (var (name, role) in new[] { ("Nightly build", "member"), ("Deploy bot", "admin") })
        {
            await page.GetByLabel("Name").FillAsync(name);
            await page.GetByLabel("Role").SelectOptionAsync(role);
            await page.GetByRole(AriaRole.Button, new() { Name = "Create API key" }).ClickAsync();
            await Assertions.Expect(page.Locator("#api-key")).ToBeVisibleAsync();
        }

        await page.ShouldBeAccessibleAsync(); // with the key shown once
        await page.ScreenshotAsync("api-keys", scheme);
    }

    private static async Task<HttpStatusCode> GetOrganizationAsync(HttpClient api, Person owner, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/orgs/{owner.OrgSlug}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await api.SendAsync(request);
        return response.StatusCode;
    }
}

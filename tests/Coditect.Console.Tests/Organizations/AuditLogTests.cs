using Coditect.Console.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Coditect.Console.Tests.Organizations;

[Collection(ConsoleCollection.Name)]
public sealed class AuditLogTests(ConsoleFixture console)
{
    [Theory]
    [InlineData(Backend.Sqlite)]
    [InlineData(Backend.Postgres)]
    public async Task The_audit_log_shows_member_and_key_actions_and_filters_them(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        var owner = await page.SignUpAsync();
        var (_, member) = await console.AddMemberAsync(backend, page, owner, "viewer");
        await page.GotoAsync(owner.OrgPath("/members"));
        await page.MemberRow(member.Email).Locator("select").SelectOptionAsync("member");
        await page.MemberRow(member.Email).GetByRole(AriaRole.Button, new() { Name = "Change role" }).ClickAsync();
        await page.GotoAsync(owner.OrgPath("/api-keys"));
        await page.GetByLabel("Name").FillAsync("Audited key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create API key" }).ClickAsync();
        await Assertions.Expect(page.Locator("#api-key")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Audit log" }).ClickAsync();
        var rows = page.Locator("#audit-events tbody tr");
        foreach (var action in new[] { "organization.created", "invitation.created", "invitation.updated", "membership.created", "membership.updated", "api_key.created" })
        {
            await Assertions.Expect(rows.Filter(new() { HasText = action }).First).ToBeVisibleAsync();
        }

        var promoted = rows.Filter(new() { HasText = "membership.updated" });
        await Assertions.Expect(promoted).ToContainTextAsync(owner.Name);
        await Assertions.Expect(promoted).ToContainTextAsync("role: viewer → member");

        await page.GetByLabel("Action").FillAsync("api_key.created");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows).ToContainTextAsync("name: Audited key");
        new Uri(page.Url).Query.ShouldContain("action=api_key.created");

        await page.GetByRole(AriaRole.Link, new() { Name = "Clear" }).ClickAsync();
        await page.GetByLabel("Actor").SelectOptionAsync(new SelectOptionValue { Label = member.Name });
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(rows.First).ToBeVisibleAsync();
        foreach (var actor in await rows.Locator("td:nth-child(2)").AllTextContentsAsync())
        {
            actor.ShouldBe(member.Name, "accepting the invitation is the invitee's own act");
        }

        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var tomorrow = DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await page.GotoAsync(owner.OrgPath($"/audit?from={today}&to={today}"));
        await Assertions.Expect(rows.First).ToBeVisibleAsync();
        await page.GotoAsync(owner.OrgPath($"/audit?from={tomorrow}"));
        await Assertions.Expect(page.GetByText("No events match these filters.")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Paging_keeps_the_filters()
    {
        var page = await console.NewPageAsync(Backend.Sqlite);
        var owner = await page.SignUpAsync();
        await page.GotoAsync(owner.OrgPath("/api-keys"));
        for (var i = 0; i < 3; i++)
        {
            await page.GetByLabel("Name").FillAsync($"Key {i}");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create API key" }).ClickAsync();
            await Assertions.Expect(page.Locator("#api-key")).ToBeVisibleAsync();
        }

        await page.GotoAsync(owner.OrgPath("/audit?action=api_key.created&page_size=2"));
        var rows = page.Locator("#audit-events tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await page.GetByRole(AriaRole.Link, new() { Name = "Next" }).ClickAsync();

        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows).ToContainTextAsync("name: Key 0");
        var query = new Uri(page.Url).Query;
        query.ShouldContain("action=api_key.created");
        query.ShouldContain("page=2");
        await Assertions.Expect(page.GetByLabel("Action")).ToHaveValueAsync("api_key.created");
    }

    [Theory]
    [InlineData(ColorScheme.Light)]
    [InlineData(ColorScheme.Dark)]
    public async Task The_audit_log_is_accessible(ColorScheme scheme)
    {
        var page = await console.NewPageAsync(Backend.Sqlite, scheme);
        var owner = await page.SignUpAsync("Initech");
        await page.InviteAsync(owner, $"peter-{Guid.NewGuid().ToString("N")[..8]}@example.com", "member");
        await page.GotoAsync(owner.OrgPath("/api-keys"));
        await page.GetByLabel("Name").FillAsync("Deploy bot");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create API key" }).ClickAsync();

        await page.GotoAsync(owner.OrgPath("/audit"));
        await page.ShouldBeAccessibleAsync();
        await page.ScreenshotAsync("audit", scheme);
        await page.GotoAsync(owner.OrgPath("/audit?action=nothing.happened"));
        await page.ShouldBeAccessibleAsync();
    }
}

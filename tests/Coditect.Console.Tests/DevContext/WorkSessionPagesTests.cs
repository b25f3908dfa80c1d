using System.Text;
using Coditect.Console.Tests.Infrastructure;
using Coditect.Console.Tests.Licensing;
using Microsoft.Playwright;

namespace Coditect.Console.Tests.DevContext;

/// <summary>The work-session pages in Chromium: the navigation, the chat timeline and the search page, with axe on each.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class WorkSessionPagesTests(ConsoleFixture console)
{
    private const string Chat = """
        [{"role":"user","content":"Does <script>window.pwned=1</script> run in the timeline?"},
         {"role":"assistant","content":"No: the zebra text is encoded, never markup."}]
        """;

    [Fact]
    public async Task An_owner_opens_an_imported_session_as_a_chat_and_finds_a_message_by_search()
    {
        var page = await console.NewPageAsync(Backend.Sqlite);
        var owner = await page.SignUpAsync();
        using (var admin = await console.Sqlite.AdminAsync(owner))
        {
            await admin.ImportWorkSessionsAsync(owner.OrgSlug, () => new MemoryStream(Encoding.UTF8.GetBytes(Chat)), "chat", title: "Encoding review");
        }

        await page.GotoAsync(owner.OrgPath());
        await page.GetByRole(AriaRole.Link, new() { Name = "Work sessions" }).ClickAsync();
        await Assertions.Expect(page.Locator("#work-sessions-table tbody tr")).ToHaveCountAsync(1);
        await page.ShouldBeAccessibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Encoding review" }).ClickAsync();
        await Assertions.Expect(page.Locator("#timeline article.msg")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#timeline article.msg.user")).ToContainTextAsync("<script>window.pwned=1</script>");
        (await page.EvaluateAsync<bool>("() => window.pwned === undefined")).ShouldBeTrue("the message's script never ran");
        await page.ShouldBeAccessibleAsync();
        await page.ScreenshotAsync("work-session", ColorScheme.Light);

        await page.GetByRole(AriaRole.Link, new() { Name = "Search this session" }).ClickAsync();
        await page.GetByLabel("Search for").FillAsync("zebra");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(page.Locator("#search-results .snippet mark")).ToHaveTextAsync("zebra");
        await page.ShouldBeAccessibleAsync();
        await page.ScreenshotAsync("message-search", ColorScheme.Light);
        await page.Locator("#search-results .result-meta a").First.ClickAsync();
        await Assertions.Expect(page.Locator("#timeline article.msg.assistant")).ToContainTextAsync("the zebra text is encoded");
        page.Url.ShouldContain("#m-");
    }
}

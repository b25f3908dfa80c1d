using Coditect.Console.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Coditect.Console.Tests.Billing;

[Collection(ConsoleCollection.Name)]
public sealed class BillingPageTests(ConsoleFixture console)
{
    [Theory]
    [InlineData(Backend.Sqlite)]
    [InlineData(Backend.Postgres)]
    public async Task The_owner_opens_billing_from_the_navigation_and_starts_the_trial_once(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        await page.SignUpAsync();

        await page.GetByRole(AriaRole.Navigation, new() { Name = "Organization" }).GetByRole(AriaRole.Link, new() { Name = "Billing" }).ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath.EndsWith("/billing", StringComparison.Ordinal));
        await Assertions.Expect(page.Locator("#plan-now")).ToHaveTextAsync("enterprise"); // manual billing: not capped
        await Assertions.Expect(page.Locator("#quota-members .limit")).ToHaveTextAsync("unlimited");
        await Assertions.Expect(page.Locator("#manual-note")).ToBeVisibleAsync();
        await page.ShouldBeAccessibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Start the pro trial" }).ClickAsync();

        await Assertions.Expect(page.Locator(".flash")).ToContainTextAsync("The pro trial has started");
        await Assertions.Expect(page.Locator("#plan-now")).ToHaveTextAsync("pro");
        await Assertions.Expect(page.Locator("#plan-state")).ToContainTextAsync("14 days left");
        await Assertions.Expect(page.Locator("#quota-members .limit")).ToHaveTextAsync("50");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Start the pro trial" })).ToHaveCountAsync(0);
        await page.ShouldBeAccessibleAsync();
    }
}

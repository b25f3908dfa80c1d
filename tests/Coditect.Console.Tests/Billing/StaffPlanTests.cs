using Coditect.Console.Tests.Infrastructure;
using Coditect.Console.Tests.Staff;
using Microsoft.Playwright;

namespace Coditect.Console.Tests.Billing;

[Collection(ConsoleCollection.Name)]
public sealed class StaffPlanTests(ConsoleFixture console)
{
    [Theory]
    [InlineData(Backend.Sqlite)]
    [InlineData(Backend.Postgres)]
    public async Task Staff_set_an_organizations_plan_period_and_seats_from_its_page(Backend backend)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var ownerPage = await console.NewPageAsync(backend);
        var orgName = "Wayne Enterprises " + tag;
        await ownerPage.SignUpAsync(orgName);
        var (page, _) = await console.SignUpStaffAsync(backend);

        await page.GotoAsync("/staff?search=" + tag);
        await page.GetByRole(AriaRole.Link, new() { Name = orgName, Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Plan", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath.EndsWith("/plan", StringComparison.Ordinal));
        await Assertions.Expect(page.Locator("#plan-now")).ToHaveTextAsync("enterprise"); // no payment provider: not capped
        await page.ShouldBeAccessibleAsync();

        await page.GetByLabel("Period ends").FillAsync("2000-01-01");
        await page.GetByLabel("Plan", new() { Exact = true }).SelectOptionAsync("pro");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set plan" }).ClickAsync();
        await Assertions.Expect(page.Locator("#period-end-error")).ToContainTextAsync("in the future");

        await page.GetByLabel("Period ends").FillAsync(DateTime.UtcNow.AddYears(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByLabel("Product licence seats").FillAsync("12");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set plan" }).ClickAsync();
        await Assertions.Expect(page.Locator(".flash")).ToContainTextAsync($"{orgName} is on the pro plan");
        await Assertions.Expect(page.Locator("#plan-now")).ToHaveTextAsync("pro");
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("12");
        await page.ShouldBeAccessibleAsync();
    }
}

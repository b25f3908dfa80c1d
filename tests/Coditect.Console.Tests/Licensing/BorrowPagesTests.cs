using Coditect.Console.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Coditect.Console.Tests.Licensing;

/// <summary>Borrowing in the console: the licence form's limit, and a borrowed seat in the live sessions.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class BorrowPagesTests(ConsoleFixture console)
{
    [Theory]
    [InlineData(Backend.Sqlite)]
    [InlineData(Backend.Postgres)]
    public async Task The_form_sets_borrowing_and_a_borrowed_seat_shows_until_when(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        var person = await page.SignUpAsync();
        var server = console.Server(backend);
        using var admin = await server.AdminAsync(person);
        var license = await admin.CreateLicenseAsync(person, "Travelling", seats: 1);

        await page.GotoAsync(person.OrgPath($"/licenses/{license.Id}"));
        await Assertions.Expect(page.Locator("#fact-borrowing")).ToHaveTextAsync("Off");
        await page.GotoAsync(person.OrgPath($"/licenses/{license.Id}/edit"));
        await page.GetByLabel("Borrowing, hours").FillAsync("-3");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(page.Locator("#borrow-error")).Not.ToBeEmptyAsync();
        await page.GetByLabel("Borrowing, hours").FillAsync("48");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await page.WaitForURLAsync($"**/licenses/{license.Id}");
        await Assertions.Expect(page.Locator("#fact-borrowing")).ToHaveTextAsync("Up to 48 h offline");

        using var application = server.Application(license.LicenseKey!);
        var seat = await application.BorrowAsync("hw-plane", 24);
        await page.ReloadAsync();
        var row = page.Rows("sessions-table");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row).ToContainTextAsync("borrowed until " + seat.BorrowedUntil.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture));
    }
}

using System.Net;
using Coditect.Console.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Coditect.Console.Tests.Identity;

[Collection(ConsoleCollection.Name)]
public sealed class ProfileTests(ConsoleFixture console)
{
    private const string NewPassword = "a brand new passphrase";

    [Theory]
    [InlineData(Backend.Sqlite)]
    [InlineData(Backend.Postgres)]
    public async Task Changing_the_password_ends_the_other_sessions_and_keeps_this_one(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        var person = await page.SignUpAsync();
        var other = await console.NewPageAsync(backend);
        await other.SignInAsync(person.Email, person.Password);
        await other.WaitForURLAsync($"**{person.OrgPath()}");

        await page.Locator("details.user > summary").ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Profile" }).ClickAsync();
        await page.GetByLabel("Current password").FillAsync(person.Password);
        await page.GetByLabel("New password").FillAsync(NewPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Your password is changed.");
        (await page.GotoAsync(person.OrgPath()))!.Status.ShouldBe((int)HttpStatusCode.OK);
        new Uri(page.Url).AbsolutePath.ShouldBe(person.OrgPath(), "this session stays signed in");

        await other.GotoAsync(person.OrgPath("/members"));
        new Uri(other.Url).AbsolutePath.ShouldBe("/signin", "the other session ended at its next request");

        await other.SignInAsync(person.Email, person.Password);
        await Assertions.Expect(other.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The email or password is wrong.");
        await other.SignInAsync(person.Email, NewPassword);
        await other.WaitForURLAsync($"**{person.OrgPath()}");
    }

    [Fact]
    public async Task A_wrong_current_password_is_named_and_changes_nothing()
    {
        var page = await console.NewPageAsync(Backend.Sqlite);
        var person = await page.SignUpAsync();
        await page.GotoAsync("/profile");

        await page.GetByLabel("Current password").FillAsync("not my password at all");
        await page.GetByLabel("New password").FillAsync(NewPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();

        await Assertions.Expect(page.Locator("#current-error")).ToHaveTextAsync("is not your current password.");
        await Assertions.Expect(page.GetByLabel("Current password")).ToHaveAttributeAsync("aria-invalid", "true");
        var fresh = await console.NewPageAsync(Backend.Sqlite);
        await fresh.SignInAsync(person.Email, person.Password);
        await fresh.WaitForURLAsync($"**{person.OrgPath()}");
    }

    [Fact]
    public async Task Changing_the_name_shows_in_the_account_menu()
    {
        var page = await console.NewPageAsync(Backend.Sqlite);
        await page.SignUpAsync();
        await page.GotoAsync("/profile");

        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Ada Lovelace");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save name" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Your name is changed.");
        await Assertions.Expect(page.Locator("details.user > summary")).ToContainTextAsync("Ada Lovelace");
        await Assertions.Expect(page.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync("Ada Lovelace");
    }

    [Theory]
    [InlineData(ColorScheme.Light)]
    [InlineData(ColorScheme.Dark)]
    public async Task The_profile_page_is_accessible(ColorScheme scheme)
    {
        var page = await console.NewPageAsync(Backend.Sqlite, scheme);
        await page.SignUpAsync();
        await page.GotoAsync("/profile");

        await page.ShouldBeAccessibleAsync();
        await page.ScreenshotAsync("profile", scheme);
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync(); // empty: both fields named
        await Assertions.Expect(page.Locator("#new-error")).ToHaveTextAsync("is required.");
        await page.ShouldBeAccessibleAsync();
    }
}

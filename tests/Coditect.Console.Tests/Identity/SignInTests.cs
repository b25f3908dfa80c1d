using System.Net;
using Coditect.Console.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Coditect.Console.Tests.Identity;

[Collection(ConsoleCollection.Name)]
public sealed class SignInTests(ConsoleFixture console)
{
    [Theory]
    [InlineData(Backend.Sqlite)]
    public async Task Signing_up_creates_the_organization_and_lands_on_its_overview(Backend backend)
    {
        var page = await console.NewPageAsync(backend);

        var person = await page.SignUpAsync("Globex Tools");

        person.OrgSlug.ShouldStartWith("globex-tools");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Globex Tools", Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Welcome");
        (await page.Locator("#stat-members").TextContentAsync()).ShouldBe("1");
    }

    [Theory]
    [InlineData(Backend.Sqlite)]
    public async Task A_page_behind_sign_in_sends_you_to_sign_in_and_back(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        var person = await page.SignUpAsync();
        await page.Locator("details.user > summary").ClickAsync(); // opens the account menu
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync("**/signin");

        await page.GotoAsync(person.OrgPath());
        new Uri(page.Url).PathAndQuery.ShouldBe($"/signin?return=%2Forgs%2F{person.OrgSlug}");
        await page.GetByLabel("Email").FillAsync(person.Email);
        await page.GetByLabel("Password").FillAsync(person.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await page.WaitForURLAsync($"**{person.OrgPath()}");
    }

    [Theory]
    [InlineData(Backend.Sqlite)]
    public async Task A_wrong_password_says_so_and_signs_nobody_in(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        var person = await page.SignUpAsync();
        await page.Context.ClearCookiesAsync();

        await page.SignInAsync(person.Email, "not the password at all");

        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The email or password is wrong.");
        (await page.Context.CookiesAsync()).ShouldNotContain(c => c.Name == "coditect_session");
    }

    [Fact]
    public async Task The_session_cookie_is_HttpOnly_and_SameSite_Lax()
    {
        var page = await console.NewPageAsync(Backend.Sqlite);
        await page.SignUpAsync();

        var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name == "coditect_session");

        cookie.HttpOnly.ShouldBeTrue();
        cookie.SameSite.ShouldBe(SameSiteAttribute.Lax);
        cookie.Secure.ShouldBeFalse(); // plain HTTP here; Secure under HTTPS is a server test
        cookie.Expires.ShouldBe(-1); // a session cookie: the sliding expiry is inside the ticket
    }

    [Theory]
    [InlineData(Backend.Sqlite)]
    [InlineData(Backend.Postgres)]
    public async Task Another_organizations_address_shows_the_not_found_page(Backend backend)
    {
        var other = await (await console.NewPageAsync(backend)).SignUpAsync();
        var page = await console.NewPageAsync(backend);
        await page.SignUpAsync();

        var response = await page.GotoAsync(other.OrgPath());

        response!.Status.ShouldBe((int)HttpStatusCode.NotFound);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Not found");
    }

    [Fact]
    public async Task A_form_post_without_the_antiforgery_token_is_refused()
    {
        var page = await console.NewPageAsync(Backend.Sqlite);
        await page.SignUpAsync();

        // The browser's own cookies (signed in), but a form built elsewhere: no token.
        var response = await page.APIRequest.PostAsync("/orgs/new", new()
        {
            Form = page.APIRequest.CreateFormData().Set("name", "Forged"),
            Headers = new Dictionary<string, string> { ["Accept"] = "text/html" }, // as a browser posts a form: the error page
        });

        response.Status.ShouldBe((int)HttpStatusCode.BadRequest);
        (await response.TextAsync()).ShouldContain("Bad request");
        await page.GotoAsync("/");
        await Assertions.Expect(page.GetByText("Forged")).ToHaveCountAsync(0);
    }

    [Theory]
    [InlineData(ColorScheme.Light)]
    [InlineData(ColorScheme.Dark)]
    public async Task The_sign_in_pages_and_the_overview_are_accessible(ColorScheme scheme)
    {
        var page = await console.NewPageAsync(Backend.Sqlite, scheme);
        await page.GotoAsync("/signin");
        await page.ShouldBeAccessibleAsync();
        await page.ScreenshotAsync("signin", scheme);
        await page.GotoAsync("/signup");
        await page.ShouldBeAccessibleAsync();

        await page.SignUpAsync();
        await page.ShouldBeAccessibleAsync();
        await page.ScreenshotAsync("overview", scheme);
    }

    [Fact]
    public async Task The_overview_fits_a_375_pixel_screen()
    {
        var page = await console.NewPageAsync(Backend.Sqlite, width: 375);
        await page.SignUpAsync();

        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");

        overflow.ShouldBeLessThanOrEqualTo(0);
    }
}

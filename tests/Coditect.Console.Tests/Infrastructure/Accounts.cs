using Microsoft.Playwright;

namespace Coditect.Console.Tests.Infrastructure;

/// <summary>A person who signed up through the console, with the organization sign-up made for them.</summary>
public sealed record Person(string Name, string Email, string Password, string OrgSlug)
{
    public string OrgPath(string rest = "") => $"/orgs/{OrgSlug}{rest}";
}

public static class Accounts
{
    public const string Password = "correct horse battery staple";

    /// <summary>Signs up through the form and returns once the new organization's overview shows.</summary>
    public static async Task<Person> SignUpAsync(this IPage page, string? organization = null)
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var name = "Ada " + id;
        var email = $"ada-{id}@example.com";
        organization ??= "Acme " + id;
        await page.GotoAsync("/signup");
        await page.GetByLabel("Your name").FillAsync(name);
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByLabel("Organization").FillAsync(organization);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath.StartsWith("/orgs/", StringComparison.Ordinal));
        var slug = new Uri(page.Url).AbsolutePath.Split('/')[2];
        return new Person(name, email, Password, slug);
    }

    public static async Task SignInAsync(this IPage page, string email, string password)
    {
        await page.GotoAsync("/signin");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }
}

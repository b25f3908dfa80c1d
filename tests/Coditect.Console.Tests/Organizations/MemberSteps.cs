using Coditect.Console.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Coditect.Console.Tests.Organizations;

/// <summary>Brings people into an organization the way the console does: the invite form, and the link's sign-up.</summary>
public static class MemberSteps
{
    /// <summary>Invites <paramref name="email"/> from the members page; returns the invitation link it shows once.</summary>
    public static async Task<string> InviteAsync(this IPage page, Person inviter, string email, string role)
    {
        await page.GotoAsync(inviter.OrgPath("/members"));
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Role", new() { Exact = true }).SelectOptionAsync(role);
        await page.GetByRole(AriaRole.Button, new() { Name = "Invite", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"{email} is invited as {role}");
        return (await page.Locator("#invitation-link").TextContentAsync())!.Trim();
    }

    /// <summary>Opens <paramref name="link"/> in a browser of its own and signs up there; returns the new member's page.</summary>
    public static async Task<(IPage Page, Person Person)> JoinAsync(this ConsoleFixture console, Backend backend, string link, string email, string slug)
    {
        var page = await console.NewPageAsync(backend);
        await page.GotoAsync(link);
        var name = "Grace " + Guid.NewGuid().ToString("N")[..6];
        await page.GetByLabel("Your name").FillAsync(name);
        await page.GetByLabel("Password").FillAsync(Accounts.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account and join" }).ClickAsync();
        await page.WaitForURLAsync($"**/orgs/{slug}");
        return (page, new Person(name, email, Accounts.Password, slug));
    }

    /// <summary>Invites a fresh address with <paramref name="role"/> and has them sign up from the link.</summary>
    public static async Task<(IPage Page, Person Person)> AddMemberAsync(this ConsoleFixture console, Backend backend, IPage ownerPage, Person owner, string role)
    {
        var email = $"grace-{Guid.NewGuid().ToString("N")[..8]}@example.com";
        var link = await ownerPage.InviteAsync(owner, email, role);
        return await console.JoinAsync(backend, link, email, owner.OrgSlug);
    }

    /// <summary>The members table's row of <paramref name="email"/>.</summary>
    public static ILocator MemberRow(this IPage page, string email) =>
        page.Locator("table.data tbody tr").Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = email, Exact = true }) });

    /// <summary>Posts a form the way a hand-made request would: the page's own antiforgery token, any fields.</summary>
    public static async Task<IAPIResponse> ForgePostAsync(this IPage page, string path, IReadOnlyDictionary<string, string> fields)
    {
        var token = await page.Locator("meta[name=csrf-token]").GetAttributeAsync("content");
        var form = page.APIRequest.CreateFormData().Set("__csrf", token!);
        foreach (var (name, value) in fields)
        {
            form = form.Set(name, value);
        }

        return await page.APIRequest.PostAsync(path, new() { Form = form, MaxRedirects = 0 });
    }
}

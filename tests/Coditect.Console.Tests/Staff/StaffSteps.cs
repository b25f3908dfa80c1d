using Coditect.Console.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Coditect.Console.Tests.Staff;

/// <summary>Platform staff as an operator makes them, and what the staff tests read back.</summary>
public static class StaffSteps
{
    /// <summary>Signs up a fresh person in a browser of their own and flags them staff with the operator's <c>create-staff</c>.</summary>
    public static async Task<(IPage Page, Person Person)> SignUpStaffAsync(this ConsoleFixture console, Backend backend, ColorScheme scheme = ColorScheme.Light)
    {
        var page = await console.NewPageAsync(backend, scheme);
        var person = await page.SignUpAsync("Platform Ops " + Guid.NewGuid().ToString("N")[..6]);
        await console.Server(backend).MakeStaffAsync(person.Email);
        return (page, person);
    }

    public static async Task MakeStaffAsync(this ConsoleServer server, string email, bool revoke = false)
    {
        var (exit, output, error) = revoke
            ? await server.RunCommandAsync("create-staff", email, "--revoke")
            : await server.RunCommandAsync("create-staff", email);
        exit.ShouldBe(0, $"create-staff {email}: {output}{error}");
    }

    /// <summary>The staff list's row of the organization named <paramref name="name"/>.</summary>
    public static ILocator OrganizationRow(this IPage page, string name) =>
        page.Locator("#organizations tbody tr").Filter(new() { Has = page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }) });

    /// <summary>Clicks <paramref name="link"/> and returns the downloaded file's text.</summary>
    public static async Task<string> DownloadAsync(this IPage page, ILocator link)
    {
        var download = await page.RunAndWaitForDownloadAsync(() => link.ClickAsync());
        return await File.ReadAllTextAsync((await download.PathAsync())!);
    }

    /// <summary>The lines of a CSV whose records hold no line break (RFC 4180 ends them with CRLF).</summary>
    public static string[] Lines(string csv)
    {
        csv.ShouldEndWith("\r\n");
        return csv[..^2].Split("\r\n");
    }
}

using System.Net;
using System.Text.RegularExpressions;

namespace Coditect.Server.Tests.Infrastructure;

/// <summary>
/// The console over plain HTTP, as a browser without JavaScript uses it: a client with its own cookie jar that reads
/// each form's antiforgery field before it posts. (The browser tests drive Chromium; these check the protocol.)
/// </summary>
public sealed partial class ConsoleBrowser(HttpClient http, CookieContainer cookies)
{
    public const string Password = "correct horse battery staple";

    public HttpClient Http { get; } = http;

    /// <summary>The browser's cookie jar, which another node's client can share (<see cref="ConsoleBrowsers.Browser"/>).</summary>
    public CookieContainer Cookies { get; } = cookies;

    [GeneratedRegex("name=\"__csrf\" type=\"hidden\" value=\"([^\"]+)\"|name=\"__csrf\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    /// <summary>GETs <paramref name="formPage"/>, then posts <paramref name="fields"/> to it with the page's antiforgery field.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string formPage, IDictionary<string, string> fields, string? action = null)
    {
        using var page = await Http.GetAsync(formPage);
        var html = await page.Content.ReadAsStringAsync();
        var match = AntiforgeryField().Match(html);
        match.Success.ShouldBeTrue($"no antiforgery field on {formPage} ({(int)page.StatusCode})");
        var token = match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value;
        var form = new Dictionary<string, string>(fields) { ["__csrf"] = WebUtility.HtmlDecode(token) };
        return await Http.PostAsync(action ?? formPage, new FormUrlEncodedContent(form));
    }

    /// <summary>Signs up through <c>/signup</c>; returns the email and the new organization's slug.</summary>
    public async Task<(string Email, string OrgSlug)> SignUpAsync(string? organization = null)
    {
        var email = $"c{Guid.NewGuid():N}@example.com";
        using var response = await PostFormAsync("/signup", new Dictionary<string, string>
        {
            ["name"] = "Console User",
            ["email"] = email,
            ["password"] = Password,
            ["organization_name"] = organization ?? "Console " + Guid.NewGuid().ToString("N")[..8],
        });
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        var location = response.Headers.Location!.OriginalString;
        location.ShouldStartWith("/orgs/");
        return (email, location.Split('/')[2]);
    }

    public async Task<HttpResponseMessage> SignInAsync(string email, string password = Password) =>
        await PostFormAsync("/signin", new Dictionary<string, string> { ["email"] = email, ["password"] = password });
}

public static class ConsoleBrowsers
{
    /// <summary>
    /// A console client that does not follow redirects (so tests see them) and keeps its cookies in
    /// <paramref name="cookies"/> (pass another browser's to continue its session on another node).
    /// </summary>
    public static ConsoleBrowser Browser(this Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> app,
        string baseAddress = "http://localhost", CookieContainer? cookies = null)
    {
        cookies ??= new CookieContainer();
        var http = app.CreateDefaultClient(new Uri(baseAddress), new Microsoft.AspNetCore.Mvc.Testing.Handlers.CookieContainerHandler(cookies));
        http.DefaultRequestHeaders.Accept.ParseAdd("text/html,application/xhtml+xml,*/*;q=0.8"); // what browsers send
        return new ConsoleBrowser(http, cookies);
    }

    /// <summary>A client of <paramref name="node"/> signed in to the console as <paramref name="email"/>; it does not follow redirects.</summary>
    public static async Task<HttpClient> SignInToConsoleAsync(this Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> node,
        string email, string password)
    {
        var browser = node.Browser();
        using var response = await browser.SignInAsync(email, password);
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        return browser.Http;
    }
}

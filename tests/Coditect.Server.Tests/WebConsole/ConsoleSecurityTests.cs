using System.Net;
using System.Net.Http.Headers;
using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Organizations;
using Coditect.Server.Signing;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.WebConsole;

/// <summary>The console's session, its separation from the API, and its request policy, over HTTP on each backend.</summary>
public abstract class ConsoleSecurityTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    [Fact]
    public async Task The_session_cookie_is_HttpOnly_SameSite_Lax_and_Secure_under_HTTPS()
    {
        var plain = app.Browser();
        var secure = app.Browser("https://localhost");

        using var overHttp = await plain.PostFormAsync("/signup", SignUpFields());
        using var overHttps = await secure.PostFormAsync("/signup", SignUpFields());

        var cookie = overHttp.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(ConsoleCookie.CookieName + "=", StringComparison.Ordinal));
        cookie.ShouldContain("httponly", Case.Insensitive);
        cookie.ShouldContain("samesite=lax", Case.Insensitive);
        cookie.ShouldNotContain("secure", Case.Insensitive);
        overHttps.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(ConsoleCookie.CookieName + "=", StringComparison.Ordinal))
            .ShouldContain("secure", Case.Insensitive);
    }

    [Fact]
    public async Task A_password_change_ends_every_other_console_session_and_every_refresh_token()
    {
        var here = app.Browser();
        var (email, slug) = await here.SignUpAsync();
        var elsewhere = app.Browser();
        (await elsewhere.SignInAsync(email)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await elsewhere.Http.GetAsync($"/orgs/{slug}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var api = await app.Anonymous().PostAsync("/api/v1/auth/login", new { email, password = ConsoleBrowser.Password });
        var tokens = await api.ReadAsync<Coditect.Contracts.Identity.TokenResponse>(HttpStatusCode.OK);

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CoditectDbContext>();
            var userId = await db.Set<User>().Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
            var tenantScope = scope.ServiceProvider.GetRequiredService<Coditect.Server.Tenancy.TenantScope>();
            await tenantScope.EnterUserAsync(userId, CancellationToken.None);
            var errors = await scope.ServiceProvider.GetRequiredService<Accounts>()
                .ChangePasswordAsync(userId, ConsoleBrowser.Password, "another long password", CancellationToken.None);
            await tenantScope.CommitAsync(CancellationToken.None);
            errors.IsValid.ShouldBeTrue();
        }

        var after = await elsewhere.Http.GetAsync($"/orgs/{slug}");
        after.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        after.Headers.Location!.OriginalString.ShouldStartWith("/signin");
        var refresh = await app.Anonymous().PostAsync("/api/v1/auth/refresh", new { refresh_token = tokens.RefreshToken });
        refresh.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await app.Browser().SignInAsync(email, "another long password")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
    }

    [Fact]
    public async Task The_API_does_not_take_the_cookie_and_the_console_does_not_take_a_bearer_token()
    {
        var browser = app.Browser();
        var (email, slug) = await browser.SignUpAsync();
        var caller = await app.Anonymous().PostAsync("/api/v1/auth/login", new { email, password = ConsoleBrowser.Password });
        var tokens = await caller.ReadAsync<Coditect.Contracts.Identity.TokenResponse>(HttpStatusCode.OK);

        var apiWithCookie = await browser.Http.GetAsync("/api/v1/me");
        using var consoleWithBearer = new HttpRequestMessage(HttpMethod.Get, $"/orgs/{slug}");
        consoleWithBearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.AccessToken);
        var bearerOnConsole = await app.Browser().Http.SendAsync(consoleWithBearer);

        apiWithCookie.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        bearerOnConsole.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        bearerOnConsole.Headers.Location!.OriginalString.ShouldStartWith("/signin?return=");
    }

    [Fact]
    public async Task A_second_node_accepts_the_first_nodes_session_through_the_shared_key_ring()
    {
        var browser = app.Browser();
        var (_, slug) = await browser.SignUpAsync();
        await using var node = new SecondNode(app);

        // The same browser (its cookie jar) on a node that has never seen it.
        var response = await node.Browser(cookies: browser.Cookies).Http.GetAsync($"/orgs/{slug}");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Data_protection_keys_are_stored_with_their_secret_encrypted_under_the_master_key()
    {
        await app.Browser().SignUpAsync(); // a cookie was protected: the ring has a key

        await using var scope = app.Services.CreateAsyncScope();
        var keys = await scope.ServiceProvider.GetRequiredService<CoditectDbContext>().Set<DataProtectionKey>().AsNoTracking().ToListAsync();

        keys.ShouldNotBeEmpty();
        keys.ShouldAllBe(k => k.Xml.Contains("encryptedKey") && !k.Xml.Contains("<masterKey"));
    }

    [Fact]
    public async Task Console_pages_send_a_strict_content_security_policy_and_carry_no_inline_script_or_style()
    {
        var response = await app.Browser().Http.GetAsync("/signin");
        var html = await response.Content.ReadAsStringAsync();

        response.Headers.GetValues("Content-Security-Policy").Single().ShouldBe(Coditect.Server.Platform.RequestPipeline.ConsolePolicy);
        html.ShouldNotContain(" style=");
        System.Text.RegularExpressions.Regex.Count(html, "<script(?![^>]*\\bsrc=)").ShouldBe(0);
    }

    [Fact]
    public async Task An_unknown_console_address_is_an_HTML_page_for_a_browser_and_problem_json_for_a_script()
    {
        var console = await app.Browser().Http.GetAsync("/no/such/page");
        var api = await app.Browser().Http.GetAsync("/api/v1/no/such/endpoint");
        var script = await app.CreateClient().GetAsync("/no/such/page"); // no Accept: text/html

        console.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        console.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        (await console.Content.ReadAsStringAsync()).ShouldContain("Not found");
        api.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        api.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        script.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        script.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task The_sign_in_form_shares_the_APIs_per_address_limit()
    {
        await using var limited = new SecondNode(app, settings: [new("RateLimits:SignInPerMinute", "3")]);
        var browser = limited.Browser();
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add((await browser.SignInAsync("nobody@example.com", "wrong password here")).StatusCode);
        }

        answers.ShouldBe([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests]);
    }

    private static Dictionary<string, string> SignUpFields() => new()
    {
        ["name"] = "Cookie Check",
        ["email"] = $"k{Guid.NewGuid():N}@example.com",
        ["password"] = ConsoleBrowser.Password,
        ["organization_name"] = "Cookie " + Guid.NewGuid().ToString("N")[..8],
    };
}

public sealed class ConsoleSecurityTestsOnSqlite(SqliteApp app) : ConsoleSecurityTests<SqliteApp>(app);

public sealed class ConsoleSecurityTestsOnPostgres(PostgresApp app) : ConsoleSecurityTests<PostgresApp>(app);

/// <summary>Deny by default, for pages as for endpoints: every page says who may open it.</summary>
public sealed class ConsolePolicyTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    private List<RouteEndpoint> Pages =>
    [
        .. app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<PageActionDescriptor>() is not null),
    ];

    [Fact]
    public void Every_page_under_an_organization_declares_a_permission_and_every_other_page_its_audience()
    {
        var pages = Pages;
        pages.Count.ShouldBeGreaterThanOrEqualTo(6);
        // Pages and the console's other endpoints (the live stream) under /orgs/{org}.
        var scoped = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.Parameters.Any(p => p.Name == "org") && !e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal))
            .ToList();
        scoped.ShouldContain(e => e.Metadata.GetMetadata<PageActionDescriptor>() == null, "the live stream is covered too");
        scoped.ShouldNotBeEmpty();
        scoped.Where(e => !Permissions.DeclaresPermission(e)).Select(e => e.RoutePattern.RawText).ShouldBeEmpty();
        pages.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null && e.Metadata.GetMetadata<IAuthorizeData>() is null)
            .Select(e => e.RoutePattern.RawText).ShouldBeEmpty("a page says [AllowAnonymous], [Authorize] or [RequirePermission]");
    }
}

using System.Net;
using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Identity.Oidc;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Identity;

/// <summary>A server with one provider of <c>Kind=github</c>, <c>github</c>: a <see cref="TestGitHub"/> on a loopback port.</summary>
public abstract class GitHubApp : CoditectApp
{
    public TestGitHub GitHub { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("App:PublicUrl", "http://localhost"),
        new("Oidc:Providers:github:Kind", "github"),
        new("Oidc:Providers:github:Authority", GitHub.BaseUrl),
        new("Oidc:Providers:github:ApiUrl", GitHub.ApiUrl),
        new("Oidc:Providers:github:ClientId", TestGitHub.ClientId),
        new("Oidc:Providers:github:ClientSecret", TestGitHub.ClientSecret),
        new("Oidc:Providers:github:DisplayName", "GitHub"),
    ];

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        GitHub.Dispose();
    }
}

public sealed class GitHubAppOnSqlite : GitHubApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class GitHubAppOnPostgres : GitHubApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

/// <summary>
/// Console sign-in through GitHub's OAuth flow, over HTTP with cookies: state and PKCE, the code exchanged with the
/// client secret, the person read from GitHub's API, and <see cref="OidcSignIn"/>'s linking rules unchanged.
/// </summary>
public abstract class GitHubSignInTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : GitHubApp
{
    private const string Callback = "http://localhost/signin/oidc/github/callback";

    private async Task<HttpResponseMessage> SignInThroughGitHubAsync(ConsoleBrowser browser, GitHubUserSpec person, Func<string, string>? tamper = null)
    {
        app.GitHub.Next = person;
        using var start = await browser.Http.GetAsync("/signin/oidc/github");
        start.StatusCode.ShouldBe(HttpStatusCode.Redirect, await start.Content.ReadAsStringAsync());
        var authorize = start.Headers.Location!;
        authorize.GetLeftPart(UriPartial.Path).ShouldBe(app.GitHub.BaseUrl + "/login/oauth/authorize");

        using var github = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var back = await github.GetAsync(authorize);
        back.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var callback = back.Headers.Location!;
        callback.GetLeftPart(UriPartial.Path).ShouldBe(Callback);
        return await browser.Http.GetAsync((tamper ?? (c => c))(callback.PathAndQuery));
    }

    private static GitHubUserSpec Person(bool verified = true) =>
        new(Random.Shared.NextInt64(1, long.MaxValue), "octo" + Guid.NewGuid().ToString("N")[..8], "Mona Octocat",
        [
            new($"g{Guid.NewGuid():N}@example.com", Primary: false, Verified: true),
            new($"g{Guid.NewGuid():N}@example.com", Primary: true, Verified: verified),
        ]);

    private static string PrimaryOf(GitHubUserSpec person) => person.Emails.Single(e => e.Primary).Email;

    private async Task<T> InDbAsync<T>(Func<CoditectDbContext, Task<T>> query)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<CoditectDbContext>());
    }

    private Task<List<UserLogin>> LinksOfAsync(string email) => InDbAsync(db =>
        db.Set<UserLogin>().AsNoTracking().Where(l => db.Set<User>().Any(u => u.Id == l.UserId && u.NormalizedEmail == User.Normalize(email))).ToListAsync());

    private static async Task ShouldBeSignedOutAsync(ConsoleBrowser browser)
    {
        using var home = await browser.Http.GetAsync("/");
        home.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        home.Headers.Location!.OriginalString.ShouldBe(ConsoleCookie.SignInPath);
    }

    private static async Task ShouldBeRefusedAsync(HttpResponseMessage response, string saying)
    {
        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, html);
        html.ShouldContain("We could not sign you in");
        html.ShouldContain(saying);
    }

    [Fact]
    public async Task A_new_person_signs_in_through_github_by_its_numeric_id_and_primary_address()
    {
        var browser = app.Browser();
        var person = Person();
        var refusals = app.GitHub.TokenRefusals;

        using var response = await SignInThroughGitHubAsync(browser, person);

        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        response.Headers.Location!.OriginalString.ShouldBe("/");
        var request = app.GitHub.Authorizations.Last();
        request["client_id"].ShouldBe(TestGitHub.ClientId);
        request["redirect_uri"].ShouldBe(Callback);
        request["scope"].ShouldBe("read:user user:email");
        request["code_challenge_method"].ShouldBe("S256");
        request["code_challenge"].Length.ShouldBe(43);
        request["state"].Length.ShouldBeGreaterThanOrEqualTo(32);
        app.GitHub.TokenRefusals.ShouldBe(refusals); // the secret, the code and the PKCE verifier were right
        (await browser.Http.GetAsync("/orgs/new")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var email = PrimaryOf(person);
        var user = await InDbAsync(db => db.Set<User>().AsNoTracking().SingleAsync(u => u.NormalizedEmail == email));
        user.Name.ShouldBe("Mona Octocat");
        user.EmailVerifiedAt.ShouldNotBeNull();
        var link = (await LinksOfAsync(email)).ShouldHaveSingleItem();
        (link.Provider, link.Subject).ShouldBe(("github", person.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        (await InDbAsync(db => db.Set<User>().AnyAsync(u => u.NormalizedEmail == person.Emails[0].Email))).ShouldBeFalse();

        // A renamed login and a new primary address: the id still says who signs in.
        using var again = await SignInThroughGitHubAsync(app.Browser(), person with
        {
            Login = "renamed", Name = null, Emails = [new($"moved{Guid.NewGuid():N}@example.com")],
        });
        again.StatusCode.ShouldBe(HttpStatusCode.Redirect, await again.Content.ReadAsStringAsync());
        (await LinksOfAsync(email)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task An_unverified_primary_address_is_never_linked_to_an_existing_user()
    {
        var (email, _) = await app.Browser().SignUpAsync();
        await InDbAsync(db => db.Set<User>().Where(u => u.NormalizedEmail == User.Normalize(email))
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.EmailVerifiedAt, DateTime.UtcNow)));
        var browser = app.Browser();
        var person = Person() with { Emails = [new(email, Primary: true, Verified: false)] };

        using var response = await SignInThroughGitHubAsync(browser, person);

        await ShouldBeRefusedAsync(response, "not confirmed on both sides");
        (await LinksOfAsync(email)).ShouldBeEmpty();
        await ShouldBeSignedOutAsync(browser);
    }

    [Fact]
    public async Task A_callback_with_another_state_is_refused_before_any_exchange()
    {
        var browser = app.Browser();
        var person = Person();
        var refusals = app.GitHub.TokenRefusals;

        using var response = await SignInThroughGitHubAsync(browser, person,
            callback => System.Text.RegularExpressions.Regex.Replace(callback, "state=[^&]+", "state=forged"));

        await ShouldBeRefusedAsync(response, "not started in this browser");
        app.GitHub.TokenRefusals.ShouldBe(refusals);
        (await InDbAsync(db => db.Set<User>().AnyAsync(u => u.NormalizedEmail == PrimaryOf(person)))).ShouldBeFalse();
        await ShouldBeSignedOutAsync(browser);
    }

    [Fact]
    public async Task A_code_github_did_not_issue_is_refused_at_the_exchange()
    {
        var browser = app.Browser();
        var person = Person();
        var refusals = app.GitHub.TokenRefusals;

        using var response = await SignInThroughGitHubAsync(browser, person,
            callback => System.Text.RegularExpressions.Regex.Replace(callback, "code=[^&]+", "code=guessed"));

        await ShouldBeRefusedAsync(response, "GitHub refused to exchange the sign-in code");
        app.GitHub.TokenRefusals.ShouldBe(refusals + 1);
        (await InDbAsync(db => db.Set<User>().AnyAsync(u => u.NormalizedEmail == PrimaryOf(person)))).ShouldBeFalse();
        await ShouldBeSignedOutAsync(browser);
    }

    [Fact]
    public async Task A_client_secret_github_no_longer_accepts_is_refused_at_the_exchange()
    {
        var browser = app.Browser();
        var person = Person();
        var refusals = app.GitHub.TokenRefusals;
        app.GitHub.ExpectedSecret = "rotated-at-github";
        try
        {
            using var response = await SignInThroughGitHubAsync(browser, person);

            await ShouldBeRefusedAsync(response, "GitHub refused to exchange the sign-in code");
            app.GitHub.TokenRefusals.ShouldBe(refusals + 1);
            (await InDbAsync(db => db.Set<User>().AnyAsync(u => u.NormalizedEmail == PrimaryOf(person)))).ShouldBeFalse();
            await ShouldBeSignedOutAsync(browser);
        }
        finally
        {
            app.GitHub.ExpectedSecret = TestGitHub.ClientSecret;
        }
    }
}

public sealed class GitHubSignInTestsOnSqlite(GitHubAppOnSqlite app) : GitHubSignInTests<GitHubAppOnSqlite>(app);

public sealed class GitHubSignInTestsOnPostgres(GitHubAppOnPostgres app) : GitHubSignInTests<GitHubAppOnPostgres>(app);

using System.Net;
using Coditect.Server.Data;
using Coditect.Server.Identity;
using Coditect.Server.Identity.Oidc;
using Coditect.Server.Tenancy;
using Coditect.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Identity;

/// <summary>A server with one OpenID Connect provider, <c>test</c>: a <see cref="TestOpenIdProvider"/> on a loopback port.</summary>
public abstract class OidcApp : CoditectApp
{
    protected OidcApp() => Idp = new TestOpenIdProvider(() => Clock.GetUtcNow().UtcDateTime);

    public TestOpenIdProvider Idp { get; }

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("App:PublicUrl", "http://localhost"),
        new("Oidc:Providers:test:Authority", Idp.Authority),
        new("Oidc:Providers:test:ClientId", TestOpenIdProvider.ClientId),
        new("Oidc:Providers:test:ClientSecret", TestOpenIdProvider.ClientSecret),
        new("Oidc:Providers:test:DisplayName", "Test IdP"),
    ];

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Idp.Dispose();
    }
}

public sealed class OidcAppOnSqlite : OidcApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class OidcAppOnPostgres : OidcApp
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

/// <summary>
/// Console sign-in through an OpenID provider, over HTTP with cookies: the code flow with PKCE, state and nonce; the
/// id token's checks; and who the identity signs in as (a link only by an address verified on both sides).
/// </summary>
public abstract class OidcSignInTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : OidcApp
{
    private const string Callback = "http://localhost/signin/oidc/test/callback";

    /// <summary>
    /// Starts a sign-in in <paramref name="browser"/>, lets the provider sign in <paramref name="spec"/>, and brings the
    /// provider's redirect back to the server (through <paramref name="tamper"/>, to change it); the server's answer.
    /// </summary>
    private async Task<HttpResponseMessage> SignInThroughProviderAsync(ConsoleBrowser browser, IdTokenSpec spec, Func<string, string>? tamper = null)
    {
        app.Idp.Next = spec;
        using var start = await browser.Http.GetAsync("/signin/oidc/test");
        start.StatusCode.ShouldBe(HttpStatusCode.Redirect, await start.Content.ReadAsStringAsync());
        var authorize = start.Headers.Location!;
        authorize.GetLeftPart(UriPartial.Authority).ShouldBe(app.Idp.Authority);

        using var person = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var back = await person.GetAsync(authorize);
        back.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var callback = back.Headers.Location!;
        callback.GetLeftPart(UriPartial.Path).ShouldBe(Callback);
        return await browser.Http.GetAsync((tamper ?? (c => c))(callback.PathAndQuery));
    }

    private static IdTokenSpec Person(bool verified = true) =>
        new("sub-" + Guid.NewGuid().ToString("N"), $"o{Guid.NewGuid():N}@example.com", verified);

    private async Task<T> InDbAsync<T>(Func<CoditectDbContext, Task<T>> query)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<CoditectDbContext>());
    }

    private Task<List<UserLogin>> LinksOfAsync(string email) => InDbAsync(db =>
        db.Set<UserLogin>().AsNoTracking().Where(l => db.Set<User>().Any(u => u.Id == l.UserId && u.NormalizedEmail == User.Normalize(email))).ToListAsync());

    /// <summary>The platform-level audit events about <paramref name="email"/>'s user (read through the system path, as RLS requires).</summary>
    private Task<List<Coditect.Server.Audit.AuditEvent>> PlatformEventsOfAsync(string email) => InDbAsync(async db =>
    {
        var id = (await db.Set<User>().AsNoTracking().SingleAsync(u => u.NormalizedEmail == User.Normalize(email))).Id.ToString();
        return await db.RunAsSystemAsync(() => db.Set<Coditect.Server.Audit.AuditEvent>().IgnoreQueryFilters().AsNoTracking()
            .Where(e => e.TenantId == Guid.Empty && e.ObjectId == id).ToListAsync(), CancellationToken.None);
    });

    private Task<int> MarkVerifiedAsync(string email) => InDbAsync(db =>
        db.Set<User>().Where(u => u.NormalizedEmail == User.Normalize(email)).ExecuteUpdateAsync(s => s.SetProperty(u => u.EmailVerifiedAt, DateTime.UtcNow)));

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
    public async Task The_sign_in_page_offers_each_configured_provider()
    {
        var html = await (await app.Browser().Http.GetAsync("/signin?return=/orgs/x")).Content.ReadAsStringAsync();

        html.ShouldContain("href=\"/signin/oidc/test?return=%2Forgs%2Fx\"");
        html.ShouldContain("Sign in with Test IdP");
    }

    [Fact]
    public async Task A_new_person_signs_in_with_pkce_state_and_nonce_and_lands_on_the_console()
    {
        var browser = app.Browser();
        var spec = Person();
        var refusals = app.Idp.TokenRefusals;

        using var response = await SignInThroughProviderAsync(browser, spec);

        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        response.Headers.Location!.OriginalString.ShouldBe("/");
        var request = app.Idp.Authorizations.Last();
        request["response_type"].ShouldBe("code");
        request["client_id"].ShouldBe(TestOpenIdProvider.ClientId);
        request["redirect_uri"].ShouldBe(Callback);
        request["scope"].Split(' ').ShouldContain("openid");
        request["code_challenge_method"].ShouldBe("S256");
        request["code_challenge"].Length.ShouldBe(43);
        request["state"].Length.ShouldBeGreaterThanOrEqualTo(32);
        request["nonce"].Length.ShouldBeGreaterThanOrEqualTo(32);
        app.Idp.TokenRefusals.ShouldBe(refusals); // the secret and the PKCE verifier were right
        using var home = await browser.Http.GetAsync("/");
        home.Headers.Location!.OriginalString.ShouldBe("/orgs/new");
        (await browser.Http.GetAsync("/orgs/new")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var user = await InDbAsync(db => db.Set<User>().AsNoTracking().SingleAsync(u => u.NormalizedEmail == spec.Email));
        user.EmailVerifiedAt.ShouldNotBeNull();
        user.Name.ShouldBe(spec.Name);
        (await LinksOfAsync(spec.Email)).Single().Subject.ShouldBe(spec.Subject);
        var created = (await PlatformEventsOfAsync(spec.Email)).ShouldHaveSingleItem();
        (created.Action, created.ActorType, created.ActorId).ShouldBe((OidcSignIn.CreatedEvent, "user", user.Id));
        created.Changes.ShouldContain("\"test\"");
        (await app.Browser().SignInAsync(spec.Email, OidcSignIn.NoPassword)).StatusCode.ShouldBe(HttpStatusCode.OK); // no password works

        // The link, not the address, says who signs in next time.
        using var again = await SignInThroughProviderAsync(app.Browser(), spec with { Email = $"renamed{Guid.NewGuid():N}@example.com" });
        again.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await InDbAsync(db => db.Set<User>().CountAsync(u => u.NormalizedEmail == spec.Email))).ShouldBe(1);
        (await LinksOfAsync(spec.Email)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task An_existing_verified_user_is_linked_by_a_verified_address_and_lands_in_their_organization()
    {
        var (email, slug) = await app.Browser().SignUpAsync();
        (await MarkVerifiedAsync(email)).ShouldBe(1);
        var browser = app.Browser();

        using var response = await SignInThroughProviderAsync(browser, Person() with { Email = email.ToUpperInvariant() });

        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        (await browser.Http.GetAsync($"/orgs/{slug}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await LinksOfAsync(email)).Count.ShouldBe(1);
        (await InDbAsync(db => db.Set<User>().CountAsync(u => u.NormalizedEmail == User.Normalize(email)))).ShouldBe(1);
        (await PlatformEventsOfAsync(email)).ShouldHaveSingleItem().Action.ShouldBe(OidcSignIn.LinkedEvent);
    }

    [Fact]
    public async Task An_address_the_provider_has_not_verified_is_never_linked()
    {
        var (email, _) = await app.Browser().SignUpAsync();
        await MarkVerifiedAsync(email);
        var browser = app.Browser();

        using var response = await SignInThroughProviderAsync(browser, Person(verified: false) with { Email = email });

        await ShouldBeRefusedAsync(response, "not confirmed on both sides");
        (await LinksOfAsync(email)).ShouldBeEmpty();
        (await PlatformEventsOfAsync(email)).ShouldBeEmpty();
        await ShouldBeSignedOutAsync(browser);
    }

    [Fact]
    public async Task An_address_our_user_has_not_confirmed_is_never_linked()
    {
        var (email, _) = await app.Browser().SignUpAsync(); // not confirmed: no link was followed
        var browser = app.Browser();

        using var response = await SignInThroughProviderAsync(browser, Person() with { Email = email });

        await ShouldBeRefusedAsync(response, "not confirmed on both sides");
        (await LinksOfAsync(email)).ShouldBeEmpty();
        (await PlatformEventsOfAsync(email)).ShouldBeEmpty();
        await ShouldBeSignedOutAsync(browser);
    }

    [Fact]
    public async Task An_unknown_address_the_provider_has_not_verified_gets_no_account()
    {
        var spec = Person(verified: false);
        var browser = app.Browser();

        using var response = await SignInThroughProviderAsync(browser, spec);

        await ShouldBeRefusedAsync(response, "has not verified this e-mail address");
        (await InDbAsync(db => db.Set<User>().AnyAsync(u => u.NormalizedEmail == spec.Email))).ShouldBeFalse();
        await ShouldBeSignedOutAsync(browser);
    }

    [Fact]
    public async Task An_id_token_signed_by_another_key_is_refused()
    {
        var spec = Person() with { Forged = true };
        var browser = app.Browser();

        using var response = await SignInThroughProviderAsync(browser, spec);

        await ShouldBeRefusedAsync(response, "did not pass its checks");
        (await InDbAsync(db => db.Set<User>().AnyAsync(u => u.NormalizedEmail == spec.Email))).ShouldBeFalse();
        await ShouldBeSignedOutAsync(browser);
    }

    [Fact]
    public async Task An_id_token_for_another_audience_is_refused()
    {
        var browser = app.Browser();

        using var response = await SignInThroughProviderAsync(browser, Person() with { Audience = "another-client" });

        await ShouldBeRefusedAsync(response, "did not pass its checks");
        await ShouldBeSignedOutAsync(browser);
    }

    [Fact]
    public async Task An_id_token_with_another_nonce_is_refused()
    {
        var browser = app.Browser();

        using var response = await SignInThroughProviderAsync(browser, Person() with { Nonce = "replayed-nonce" });

        await ShouldBeRefusedAsync(response, "not issued for this sign-in");
        await ShouldBeSignedOutAsync(browser);
    }

    [Fact]
    public async Task A_callback_with_another_state_or_in_another_browser_is_refused()
    {
        var browser = app.Browser();
        using var wrongState = await SignInThroughProviderAsync(browser, Person(),
            callback => System.Text.RegularExpressions.Regex.Replace(callback, "state=[^&]+", "state=forged"));
        await ShouldBeRefusedAsync(wrongState, "not started in this browser");
        await ShouldBeSignedOutAsync(browser);

        // A victim's browser given someone else's callback: it started no sign-in, so it has no state cookie.
        var victim = app.Browser();
        app.Idp.Next = Person();
        using var start = await app.Browser().Http.GetAsync("/signin/oidc/test");
        using var person = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var back = await person.GetAsync(start.Headers.Location!);
        using var replayed = await victim.Http.GetAsync(back.Headers.Location!.PathAndQuery);
        await ShouldBeRefusedAsync(replayed, "not started in this browser");
        await ShouldBeSignedOutAsync(victim);
    }

    [Fact]
    public async Task An_unknown_provider_is_not_found()
    {
        (await app.Browser().Http.GetAsync("/signin/oidc/nope")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await app.Browser().Http.GetAsync("/signin/oidc/nope/callback?code=x&state=y")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}

public sealed class OidcSignInTestsOnSqlite(OidcAppOnSqlite app) : OidcSignInTests<OidcAppOnSqlite>(app);

public sealed class OidcSignInTestsOnPostgres(OidcAppOnPostgres app) : OidcSignInTests<OidcAppOnPostgres>(app);

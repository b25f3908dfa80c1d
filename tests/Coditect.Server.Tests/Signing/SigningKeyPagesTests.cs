using System.Net;
using Coditect.Server.Tests.Infrastructure;
using Coditect.Server.Tests.Licensing;

namespace Coditect.Server.Tests.Signing;

/// <summary>The console's signing-keys page: what a vendor pins, the keys, and rotation for those who manage licences.</summary>
public abstract class SigningKeyPagesTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CoditectApp
{
    [Fact]
    public async Task The_page_shows_the_organization_id_and_keys_and_an_admin_rotates_from_it()
    {
        var vendor = await app.Anonymous().RegisterAsync();
        var license = await vendor.CreateLicenseAsync(seats: 2);
        var before = await app.Anonymous().AcquireSeatAsync(license.LicenseKey!, "machine-1");
        var firstKid = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(before.LeaseToken).Kid;
        var browser = app.Browser();
        (await browser.SignInAsync(vendor.Email, vendor.Password)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var path = $"/orgs/{vendor.OrgSlug}/signing-keys";

        var html = await browser.Http.GetStringAsync(path);
        html.ShouldContain($"<code id=\"organization-id\">{vendor.OrgId}</code>");
        html.ShouldContain($"/api/v1/orgs/{vendor.OrgId}/jwks.json");
        html.ShouldContain(firstKid);
        html.ShouldContain("Rotate signing key");
        html.ShouldContain("<option value=\"EdDSA\">EdDSA (Ed25519)</option>");

        using var rotated = await browser.PostFormAsync(path, new Dictionary<string, string> { ["algorithm"] = "EdDSA" });
        rotated.StatusCode.ShouldBe(HttpStatusCode.Redirect, await rotated.Content.ReadAsStringAsync());
        var after = await app.Anonymous().AcquireSeatAsync(license.LicenseKey!, "machine-2");
        var newKid = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(after.LeaseToken).Kid;
        newKid.ShouldNotBe(firstKid);
        var page = await browser.Http.GetStringAsync(path);
        page.ShouldContain(newKid);
        page.ShouldContain("retired");
        new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(after.LeaseToken).Alg.ShouldBe("EdDSA");

        // A viewer reads the page but is offered no rotation, and a forged post is refused.
        var viewer = await vendor.AddMemberAsync("viewer");
        var viewerBrowser = app.Browser();
        (await viewerBrowser.SignInAsync(viewer.Email, viewer.Password)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var viewerPage = await viewerBrowser.Http.GetStringAsync(path);
        viewerPage.ShouldContain(newKid);
        viewerPage.ShouldNotContain("Rotate signing key");
        using var refused = await viewerBrowser.PostFormAsync(path, new Dictionary<string, string> { ["algorithm"] = "ES256" });
        refused.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }
}

public sealed class SigningKeyPagesTestsOnSqlite(SqliteApp app) : SigningKeyPagesTests<SqliteApp>(app);

public sealed class SigningKeyPagesTestsOnPostgres(PostgresApp app) : SigningKeyPagesTests<PostgresApp>(app);

using Coditect.Server.Identity.Oidc;

namespace Coditect.Server.Tests.Identity;

/// <summary>What <c>Oidc:Providers</c> settings start the server (<see cref="OidcOptions.AreValid"/>), GitHub's defaults included.</summary>
public sealed class OidcOptionsTests
{
    private static OidcOptions With(OidcProviderOptions provider, string name = "github") =>
        new() { Providers = new(StringComparer.Ordinal) { [name] = provider } };

    [Fact]
    public void A_github_provider_needs_no_authority_and_defaults_to_github_com()
    {
        var github = new OidcProviderOptions { Kind = "github", ClientId = "Ov23li" };

        OidcOptions.AreValid(With(github)).ShouldBeTrue();
        github.BaseUrl().ShouldBe("https://github.com");
        github.GitHubApiUrl().ShouldBe("https://api.github.com");
    }

    [Fact]
    public void An_oidc_provider_still_needs_an_authority()
    {
        OidcOptions.AreValid(With(new OidcProviderOptions { ClientId = "c" }, "google")).ShouldBeFalse();
        OidcOptions.AreValid(With(new OidcProviderOptions { ClientId = "c", Authority = "https://accounts.google.com" }, "google")).ShouldBeTrue();
    }

    [Theory]
    [InlineData("gitlab", null)]
    [InlineData("GitHub", null)]
    [InlineData("github", "http://api.github.example.com")]
    [InlineData("github", "https://api.github.com?x=1")]
    public void An_unknown_kind_or_an_api_not_on_https_is_refused(string kind, string? apiUrl) =>
        OidcOptions.AreValid(With(new OidcProviderOptions { Kind = kind, ClientId = "c", ApiUrl = apiUrl })).ShouldBeFalse();

    [Fact]
    public void A_github_api_on_loopback_http_is_allowed_for_tests() =>
        OidcOptions.AreValid(With(new OidcProviderOptions { Kind = "github", ClientId = "c", Authority = "http://127.0.0.1:5001", ApiUrl = "http://127.0.0.1:5001/api" }))
            .ShouldBeTrue();
}

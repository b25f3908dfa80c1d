using System.Net;

namespace Coditect.Server.Identity.Oidc;

/// <summary>
/// <c>Oidc:*</c> settings: the OpenID Connect providers people may sign in to the console with, per deployment
/// (<c>Oidc:Providers:{name}:Authority|ClientId|ClientSecret|DisplayName|Scopes</c>; <c>Kind=github</c> for GitHub's
/// OAuth flow, <see cref="GitHubClient"/>), and whether a person unknown here gets an account at their first sign-in.
/// </summary>
public sealed class OidcOptions
{
    public const string Section = "Oidc";

    /// <summary>By name (lower-case letters, digits and hyphens): the name is the last segment of <c>/signin/oidc/{name}</c>.</summary>
    public Dictionary<string, OidcProviderOptions> Providers { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// A person whose address has no account here gets one (the provider must have verified the address), as
    /// <c>/signup</c> would give; false refuses them with a page that says to ask for an invitation.
    /// </summary>
    public bool AllowSignUp { get; set; } = true;

    public OidcProviderOptions? Find(string? name) =>
        name is not null && Providers.TryGetValue(name, out var provider) ? provider : null;

    /// <summary>
    /// Every provider named properly, of a known kind, with a client id and an https authority (plain http on loopback
    /// only, for tests); a GitHub provider's API address likewise.
    /// </summary>
    public static bool AreValid(OidcOptions options) => options.Providers.All(p =>
        p.Key.Length is > 0 and <= 40 && p.Key.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')
        && p.Value.Kind is OidcProviderOptions.OidcKind or OidcProviderOptions.GitHubKind
        && !string.IsNullOrWhiteSpace(p.Value.ClientId)
        && IsBase(p.Value.BaseUrl())
        && (!p.Value.IsGitHub || IsBase(p.Value.GitHubApiUrl())));

    private static bool IsBase(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && IsLoopback(uri)))
        && uri.Query.Length == 0 && uri.Fragment.Length == 0;

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var address) && IPAddress.IsLoopback(address));
}

public sealed class OidcProviderOptions
{
    public const string OidcKind = "oidc";
    public const string GitHubKind = "github";
    public const string GitHubDefaultAuthority = "https://github.com";
    public const string GitHubDefaultApiUrl = "https://api.github.com";

    /// <summary><c>oidc</c> (OpenID Connect, the default) or <c>github</c> (GitHub's OAuth flow: no id token, its user API instead).</summary>
    public string Kind { get; set; } = OidcKind;

    public bool IsGitHub => Kind == GitHubKind;

    /// <summary>GitHub only: its REST API, <c>https://api.github.com</c> unless set (GitHub Enterprise Server: <c>https://{host}/api/v3</c>).</summary>
    public string? ApiUrl { get; set; }

    /// <summary>
    /// The issuer (OIDC), or for GitHub the site its OAuth endpoints live on (<c>https://github.com</c> unless set);
    /// no trailing slash.
    /// </summary>
    public string BaseUrl() =>
        (IsGitHub && string.IsNullOrWhiteSpace(Authority) ? GitHubDefaultAuthority : Authority).TrimEnd('/');

    public string GitHubApiUrl() => (string.IsNullOrWhiteSpace(ApiUrl) ? GitHubDefaultApiUrl : ApiUrl).TrimEnd('/');

    /// <summary>The issuer: its discovery document is <c>{Authority}/.well-known/openid-configuration</c> and must name it as <c>issuer</c>.</summary>
    public string Authority { get; set; } = "";

    public string ClientId { get; set; } = "";

    /// <summary>Sent to the token endpoint (<c>client_secret_post</c>); a secret: keep it out of files in the repository.</summary>
    public string ClientSecret { get; set; } = "";

    /// <summary>The button's label, "Sign in with {DisplayName}"; the provider's name by default.</summary>
    public string? DisplayName { get; set; }

    /// <summary>Space-separated; <c>openid</c> is always asked for. Not read for GitHub, which is asked for <see cref="GitHubClient.Scope"/>.</summary>
    public string Scopes { get; set; } = "openid email profile";

    public string ScopeParameter() =>
        string.Join(' ', Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Prepend("openid").Distinct(StringComparer.Ordinal));
}

using System.Net;

namespace Coditect.Server.Identity.Oidc;

/// <summary>
/// <c>Oidc:*</c> settings: the OpenID Connect providers people may sign in to the console with, per deployment
/// (<c>Oidc:Providers:{name}:Authority|ClientId|ClientSecret|DisplayName|Scopes</c>), and whether a person unknown
/// here gets an account at their first sign-in.
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

    /// <summary>Every provider named properly, with a client id and an https authority (plain http on loopback only, for tests).</summary>
    public static bool AreValid(OidcOptions options) => options.Providers.All(p =>
        p.Key.Length is > 0 and <= 40 && p.Key.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')
        && !string.IsNullOrWhiteSpace(p.Value.ClientId)
        && Uri.TryCreate(p.Value.Authority, UriKind.Absolute, out var authority)
        && (authority.Scheme == Uri.UriSchemeHttps || (authority.Scheme == Uri.UriSchemeHttp && IsLoopback(authority)))
        && authority.Query.Length == 0 && authority.Fragment.Length == 0);

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var address) && IPAddress.IsLoopback(address));
}

public sealed class OidcProviderOptions
{
    /// <summary>The issuer: its discovery document is <c>{Authority}/.well-known/openid-configuration</c> and must name it as <c>issuer</c>.</summary>
    public string Authority { get; set; } = "";

    public string ClientId { get; set; } = "";

    /// <summary>Sent to the token endpoint (<c>client_secret_post</c>); a secret: keep it out of files in the repository.</summary>
    public string ClientSecret { get; set; } = "";

    /// <summary>The button's label, "Sign in with {DisplayName}"; the provider's name by default.</summary>
    public string? DisplayName { get; set; }

    /// <summary>Space-separated; <c>openid</c> is always asked for.</summary>
    public string Scopes { get; set; } = "openid email profile";

    public string ScopeParameter() =>
        string.Join(' ', Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Prepend("openid").Distinct(StringComparer.Ordinal));
}

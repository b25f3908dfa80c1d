namespace Coditect.Server.Platform;

/// <summary>
/// <c>App:*</c> settings. <see cref="PublicUrl"/> is the only source of absolute links the server writes (invitation
/// links now; e-mail, payment and sign-in redirects later): never the request's Host header, which the caller controls.
/// </summary>
public sealed class AppOptions
{
    public const string Section = "App";

    /// <summary>Where people reach this server, e.g. <c>https://licenses.example.com</c> (a path prefix is kept).</summary>
    public string PublicUrl { get; set; } = "http://localhost:5000";

    /// <summary>An absolute link to <paramref name="path"/> (which starts with <c>/</c>) under <see cref="PublicUrl"/>.</summary>
    public string Link(string path) => PublicUrl.TrimEnd('/') + path;

    /// <summary>An absolute http or https URL without a query or fragment.</summary>
    public static bool IsValid(AppOptions options) =>
        Uri.TryCreate(options.PublicUrl, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0;
}

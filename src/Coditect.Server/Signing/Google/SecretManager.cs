using System.Text;
using System.Text.RegularExpressions;
using Coditect.Server.Platform;

namespace Coditect.Server.Signing.Google;

/// <summary>
/// Settings from Secret Manager by name: each <c>SecretManager:Secrets:{ConfigKey}</c> (environment
/// <c>SecretManager__Secrets__ConnectionStrings__Database=coditect-database</c>) names a secret, in the project
/// <c>SecretManager:Project</c> unless given in full (<c>projects/P/secrets/S</c>), at its latest version unless
/// <c>/versions/N</c> follows. Each is read once at start and overrides that key whatever else sets it. A secret
/// that cannot be read stops the start (a missing database password is not a default to guess).
/// </summary>
public static partial class SecretManager
{
    /// <summary>Adds <see cref="GoogleCloud"/> (a singleton; the master key's KMS decryption uses it too) and the settings from Secret Manager.</summary>
    public static WebApplicationBuilder AddGoogleCloud(this WebApplicationBuilder builder)
    {
        var google = new GoogleCloud(builder.Configuration, TimeProvider.System);
        builder.Services.AddSingleton(google);
        var values = Read(builder.Configuration, google);
        if (values.Count > 0)
        {
            builder.Configuration.AddInMemoryCollection(values);
            google.SettingsFromSecretManager = [.. values.Keys];
        }

        return builder;
    }

    public static Dictionary<string, string?> Read(IConfiguration configuration, GoogleCloud google)
    {
        var wanted = configuration.GetSection("SecretManager:Secrets").AsEnumerable(makePathsRelative: true)
            .Where(e => !string.IsNullOrWhiteSpace(e.Value))
            .OrderBy(e => e.Key, StringComparer.Ordinal)
            .ToList();
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, secret) in wanted)
        {
            var name = VersionName(configuration["SecretManager:Project"], key, secret!.Trim());
            var answer = google.CallAsync(HttpMethod.Get, $"{google.SecretManagerUrl}/v1/{name}:access", null,
                $"Secret Manager, reading {name} for the setting {key},", CancellationToken.None).GetAwaiter().GetResult();
            try
            {
                values[key] = Encoding.UTF8.GetString(Convert.FromBase64String(answer.GetProperty("payload").GetProperty("data").GetString()!));
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new StartupException($"Secret Manager answered {name} (for {key}) without a payload.");
            }
        }

        return values;
    }

    private static string VersionName(string? project, string key, string secret)
    {
        var match = SecretName().Match(secret);
        if (!match.Success)
        {
            throw new StartupException(
                $"SecretManager:Secrets:{key} must be a secret's name: SECRET, SECRET/versions/N or projects/PROJECT/secrets/SECRET[/versions/N].");
        }

        var inProject = match.Groups["project"].Success ? match.Groups["project"].Value : project?.Trim();
        if (string.IsNullOrEmpty(inProject))
        {
            throw new StartupException($"SecretManager:Secrets:{key} names a secret without its project: set SecretManager:Project.");
        }

        var version = match.Groups["version"].Success ? match.Groups["version"].Value : "latest";
        return $"projects/{inProject}/secrets/{match.Groups["secret"].Value}/versions/{version}";
    }

    [GeneratedRegex("^(projects/(?<project>[a-z0-9-]+)/secrets/)?(?<secret>[A-Za-z0-9_-]{1,255})(/versions/(?<version>[0-9]+|latest))?$")]
    private static partial Regex SecretName();
}

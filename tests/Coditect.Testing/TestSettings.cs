namespace Coditect.Testing;

/// <summary>
/// The settings every test server runs with, whatever starts it (in process or as a process): password hashing kept
/// real but cheap, and the per-caller rate limits out of the way of tests that make many calls.
/// </summary>
public static class TestSettings
{
    public static IReadOnlyDictionary<string, string> Defaults { get; } = new Dictionary<string, string>
    {
        // Argon2id kept real but cheap; production uses 19,456 KiB and 2 passes.
        ["Identity:Argon2MemoryKiB"] = "1024",
        ["Identity:Argon2Iterations"] = "1",
        ["RateLimits:SignInPerMinute"] = "1000000",
        ["RateLimits:ApiPerMinute"] = "10000000",
        // Mail written while no SMTP server is set goes to a temporary folder, never into the source tree.
        ["Email:DropFolder"] = Path.Combine(Path.GetTempPath(), "coditect-test-mail"),
    };

    /// <summary>The same settings as environment variables (<c>Section__Key</c>), for a server process.</summary>
    public static IEnumerable<KeyValuePair<string, string>> AsEnvironment(IEnumerable<KeyValuePair<string, string>> settings) =>
        settings.Select(s => KeyValuePair.Create(s.Key.Replace(":", "__", StringComparison.Ordinal), s.Value));
}

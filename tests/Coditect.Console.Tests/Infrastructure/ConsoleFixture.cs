using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Playwright;
using Xunit.Sdk;

[assembly: Coditect.Console.Tests.Infrastructure.CloseBrowserContexts]

namespace Coditect.Console.Tests.Infrastructure;

/// <summary>
/// What every console test shares: one Chromium (the Debian build that scripts/test.sh finds or installs; Playwright
/// cannot download its own here) and one server per backend. Tests make their own users and organizations.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public const string ChromiumVariable = "CODITECT_TEST_CHROMIUM";

    /// <summary>The contexts the running test opened (the tests run one at a time, in one collection).</summary>
    private static readonly ConcurrentQueue<IBrowserContext> Opened = new();

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public ConsoleServer Sqlite { get; } = new(Backend.Sqlite);
    public ConsoleServer Postgres { get; } = new(Backend.Postgres);

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("Not started.");

    public ConsoleServer Server(Backend backend) => backend == Backend.Sqlite ? Sqlite : Postgres;

    public async Task InitializeAsync()
    {
        var chromium = Environment.GetEnvironmentVariable(ChromiumVariable) is { Length: > 0 } configured ? configured
            : File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium"
            : throw new InvalidOperationException($"{ChromiumVariable} is not set and /usr/bin/chromium is missing: run the tests with scripts/test.sh, which installs it.");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        });
        await Task.WhenAll(Sqlite.StartAsync(), Postgres.StartAsync());
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
        await Sqlite.DisposeAsync();
        await Postgres.DisposeAsync();
    }

    /// <summary>A fresh browser context (its own cookies) on <paramref name="backend"/>'s server, light or dark.</summary>
    public async Task<IPage> NewPageAsync(Backend backend, ColorScheme scheme = ColorScheme.Light, int width = 1280)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server(backend).Uri.AbsoluteUri,
            ColorScheme = scheme,
            ViewportSize = new ViewportSize { Width = width, Height = 900 },
            // Lets the tests inject axe-core; the console's own pages never need an inline script.
            BypassCSP = true,
        });
        context.SetDefaultTimeout(15_000);
        Opened.Enqueue(context);
        return await context.NewPageAsync();
    }

    /// <summary>
    /// Closes every context opened since the last call. Run after each test (<see cref="CloseBrowserContextsAttribute"/>):
    /// a context left open keeps its renderer process, its scripts and a licence page's event stream alive for the rest
    /// of the run.
    /// </summary>
    internal static async Task CloseOpenedAsync()
    {
        while (Opened.TryDequeue(out var context))
        {
            await context.CloseAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "console";
}

/// <summary>After every test of the assembly, closes the browser contexts it opened (<see cref="ConsoleFixture.CloseOpenedAsync"/>).</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class CloseBrowserContextsAttribute : BeforeAfterTestAttribute
{
    // xUnit 2's hook is synchronous; Task.Run keeps Playwright's continuations off the test's synchronization context.
    public override void After(MethodInfo methodUnderTest) => Task.Run(ConsoleFixture.CloseOpenedAsync).GetAwaiter().GetResult();
}

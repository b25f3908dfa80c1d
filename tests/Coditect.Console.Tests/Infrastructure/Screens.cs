using Microsoft.Playwright;

namespace Coditect.Console.Tests.Infrastructure;

/// <summary>
/// Screenshots of the main pages, light and dark, written to <c>artifacts/screens/</c> on every run (never to a tracked
/// file: <c>scripts/screens.sh</c> copies them to <c>docs/screens/</c> on purpose).
/// </summary>
public static class Screens
{
    public static string Folder
    {
        get
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Coditect.slnx")))
            {
                root = root.Parent;
            }

            var folder = Path.Combine(root?.FullName ?? Path.GetTempPath(), "artifacts", "screens");
            Directory.CreateDirectory(folder);
            return folder;
        }
    }

    /// <summary>Saves the page as <c>{name}-{light|dark}.png</c> (the scheme the page's context was made with).</summary>
    public static async Task ScreenshotAsync(this IPage page, string name, ColorScheme scheme)
    {
        var file = Path.Combine(Folder, $"{name}-{(scheme == ColorScheme.Dark ? "dark" : "light")}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
    }
}

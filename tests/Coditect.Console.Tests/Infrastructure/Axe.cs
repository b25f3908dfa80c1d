using System.Text.Json;
using Microsoft.Playwright;

namespace Coditect.Console.Tests.Infrastructure;

/// <summary>axe-core (committed under axe/, from npm) run in the page: the console must have no serious or critical violation.</summary>
public static class Axe
{
    private static readonly Lazy<string> Script = new(() =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "axe", "axe-4.14.1.min.js")));

    public static async Task ShouldBeAccessibleAsync(this IPage page)
    {
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Content = Script.Value });
        var json = await page.EvaluateAsync<string>("""
            async () => {
              const result = await axe.run(document, { resultTypes: ['violations'] });
              return JSON.stringify(result.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) })));
            }
            """);
        var violations = JsonDocument.Parse(json).RootElement;
        violations.GetArrayLength().ShouldBe(0, $"axe on {page.Url}: {json}");
    }
}

using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Coditect.Server.Tests.Infrastructure;

/// <summary>
/// Another server in process on the same database (and Redis) as <paramref name="first"/>, with the same settings
/// and master key (and <paramref name="settings"/> on top): the second node of a cluster.
/// </summary>
public sealed class SecondNode(
    CoditectApp first, Action<IServiceCollection>? services = null, IEnumerable<KeyValuePair<string, string?>>? settings = null)
    : WebApplicationFactory<Program>
{
    public Client Anonymous() => new(CreateClient(), first);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in first.AllSettings.Concat(settings ?? []))
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(collection =>
        {
            collection.AddSingleton<TimeProvider>(first.Clock); // the nodes' clocks agree
            services?.Invoke(collection);
        });
    }
}

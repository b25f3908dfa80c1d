using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Coditect.Client;
using Coditect.Contracts.Licensing;
using Coditect.Testing;

namespace Coditect.Client.Tests.Infrastructure;

/// <summary>
/// The real server, started as a process (<see cref="ServerProcess"/>) on a SQLite file of its own, with short leases.
/// It can be stopped and started again on the same port, database and master key, as an outage would.
/// </summary>
public class RealServer : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("coditect-client-test-").FullName;
    private readonly string _masterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private ServerProcess? _server;

    protected virtual int LeaseTtlSeconds => 6;

    private ServerProcess Server => _server ??= new ServerProcess("server", Settings());

    public Uri Uri => Server.Uri;

    public string Folder => _folder;

    public async Task InitializeAsync() => await StartAsync();

    public async Task DisposeAsync()
    {
        Stop();
        await Task.Delay(100);
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // a file still held by the exiting process; the temp folder is cleaned by the OS
        }
    }

    public Task StartAsync() => Server.StartAsync(TimeSpan.FromSeconds(90));

    /// <summary>Kills the server at once, as a crash or a pulled cable would look to clients.</summary>
    public void Stop() => Server.Kill();

    public IReadOnlyList<string> Log() => Server.Log();

    private Dictionary<string, string> Settings() => TestSettings.AsEnvironment(TestSettings.Defaults.Concat(new Dictionary<string, string>
    {
        ["ConnectionStrings:Database"] = $"Data Source={Path.Combine(_folder, "c.db")}",
        ["Secrets:MasterKey"] = _masterKey,
        ["Licensing:LeaseTtlSeconds"] = LeaseTtlSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Licensing:SweepIntervalSeconds"] = "1",
        ["Logging:LogLevel:Default"] = "Warning",
    })).Append(KeyValuePair.Create("ASPNETCORE_ENVIRONMENT", "Testing")).ToDictionary();

    /// <summary>Registers a new user with an organization of their own and signs an admin client in as them.</summary>
    public async Task<Vendor> NewVendorAsync()
    {
        var email = $"v{Guid.NewGuid():N}@example.com";
        const string password = "correct horse battery staple";
        using (var http = new HttpClient())
        {
            using var response = await http.PostAsJsonAsync(new Uri(Uri, "api/v1/auth/register"),
                new { email, password, name = "Vendor", organization_name = "Vendor " + Guid.NewGuid().ToString("N")[..8] });
            response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        }

        var admin = new AdminClient(Uri);
        var tokens = await admin.LoginAsync(email, password);
        var org = tokens.Organization?.Slug ?? (await admin.ListOrganizationsAsync()).Items[0].Slug;
        return new Vendor(admin, org, email, password);
    }

    public LicenseClient LicenseClient(string key, LicenseClientOptions? options = null)
    {
        options ??= new LicenseClientOptions();
        options.JwksCachePath ??= Path.Combine(_folder, "jwks-" + Guid.NewGuid().ToString("N") + ".json");
        return new LicenseClient(Uri, key, options);
    }
}

/// <summary>A vendor account: an admin client signed in, and its organization.</summary>
public sealed record Vendor(AdminClient Admin, string Org, string Email, string Password)
{
    public async Task<Guid> OrgIdAsync() => (await Admin.ListOrganizationsAsync()).Items.Single(o => o.Slug == Org).Id;

    public Task<LicenseResponse> NewLicenseAsync(int seats = 1) =>
        Admin.CreateLicenseAsync(Org, new CreateLicenseRequest("Licence " + Guid.NewGuid().ToString("N")[..6], seats, null, ["pro"]));
}

/// <summary>The server most tests share (leases of 6 s).</summary>
[CollectionDefinition(Name)]
public sealed class SharedServerCollection : ICollectionFixture<RealServer>
{
    public const string Name = "real server";
}

/// <summary>Waits for a condition, polling; fails naming what it waited for.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting until {what}.");
            }

            await Task.Delay(50);
        }
    }
}

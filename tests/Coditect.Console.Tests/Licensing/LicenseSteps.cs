using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Coditect.Client;
using Coditect.Console.Tests.Infrastructure;
using Coditect.Contracts.Licensing;
using Coditect.Contracts.Organizations;
using Microsoft.Playwright;

namespace Coditect.Console.Tests.Licensing;

/// <summary>What the licence page tests do through the API and the SDK, to set the scene the console then shows.</summary>
public static class LicenseSteps
{
    public const string KeyPattern = "^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$";

    private static readonly JsonSerializerOptions Wire = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The person's API client, signed in with their password.</summary>
    public static async Task<AdminClient> AdminAsync(this ConsoleServer server, Person person)
    {
        var admin = new AdminClient(server.Uri);
        await admin.LoginAsync(person.Email, person.Password);
        return admin;
    }

    public static Task<LicenseResponse> CreateLicenseAsync(this AdminClient admin, Person person, string name, int seats = 2) =>
        admin.CreateLicenseAsync(person.OrgSlug, new CreateLicenseRequest(name, seats));

    /// <summary>An application's client for the licence (no JWKS cache on disk).</summary>
    public static LicenseClient Application(this ConsoleServer server, string key) =>
        new(server.Uri, key, new LicenseClientOptions { JwksCachePath = "" });

    /// <summary>
    /// A second person in <paramref name="owner"/>'s organization with <paramref name="role"/>: invited by the owner,
    /// registered through the API (with an organization of their own, as register requires) and joined by accepting.
    /// </summary>
    public static async Task<Person> InviteAsync(this ConsoleServer server, Person owner, string role)
    {
        using var http = new HttpClient { BaseAddress = server.Uri };
        using var admin = await server.AdminAsync(owner);
        var id = Guid.NewGuid().ToString("N")[..8];
        var email = $"{role}-{id}@example.com";

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", admin.AccessToken);
        var invited = await http.PostAsJsonAsync($"/api/v1/orgs/{owner.OrgSlug}/invitations", new CreateInvitationRequest(email, role), Wire);
        invited.EnsureSuccessStatusCode();
        var invitation = (await invited.Content.ReadFromJsonAsync<InvitationResponse>(Wire))!;

        http.DefaultRequestHeaders.Authorization = null;
        var registered = await http.PostAsJsonAsync("/api/v1/auth/register",
            new { email, password = Accounts.Password, name = "Vic " + id, organization_name = "Own " + id }, Wire);
        registered.EnsureSuccessStatusCode();
        using var tokens = JsonDocument.Parse(await registered.Content.ReadAsStringAsync());

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.RootElement.GetProperty("access_token").GetString());
        (await http.PostAsync($"/api/v1/invitations/{invitation.Token}/accept", null)).EnsureSuccessStatusCode();
        return new Person("Vic " + id, email, Accounts.Password, owner.OrgSlug);
    }

    /// <summary>The data rows of a table (the header row left out).</summary>
    public static ILocator Rows(this IPage page, string tableId) => page.Locator($"#{tableId} tbody tr");

    /// <summary>The antiforgery token the console's pages carry for the signed-in user.</summary>
    public static async Task<string> RequestTokenAsync(this IPage page) =>
        (await page.Locator("meta[name=csrf-token]").GetAttributeAsync("content"))!;
}

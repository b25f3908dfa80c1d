using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Coditect.Console.Tests.Infrastructure;
using Coditect.Console.Tests.Licensing;
using Coditect.Console.Tests.Organizations;
using Microsoft.Playwright;
using Npgsql;

namespace Coditect.Console.Tests.Staff;

[Collection(ConsoleCollection.Name)]
public sealed class StaffAreaTests(ConsoleFixture console)
{
    [Theory]
    [InlineData(Backend.Sqlite)]
    [InlineData(Backend.Postgres)]
    public async Task Staff_find_another_persons_organization_open_it_read_only_and_suspend_and_unsuspend_it(Backend backend)
    {
        var server = console.Server(backend);
        var tag = Tag();
        var ownerPage = await console.NewPageAsync(backend);
        var owner = await ownerPage.SignUpAsync("Stark Industries " + tag);
        var orgName = "Stark Industries " + tag;
        using var admin = await server.AdminAsync(owner);
        var license = await admin.CreateLicenseAsync(owner, "Stark Suite", seats: 3);
        using var application = server.Application(license.LicenseKey!);
        await using var lease = await application.AcquireAsync("hw-stark-1");
        var (page, staff) = await console.SignUpStaffAsync(backend);

        // The frame links staff to their area; search finds another person's organization, with its counts.
        await page.GotoAsync(staff.OrgPath());
        await page.GetByRole(AriaRole.Link, new() { Name = "Staff", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/staff");
        await page.GetByLabel("Search by name or slug").FillAsync(tag);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).Query == "?search=" + tag);
        var rows = page.Locator("#organizations tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        var cells = (await rows.Locator("td").AllTextContentsAsync()).Select(c => c.Trim()).ToArray();
        cells[..5].ShouldBe([orgName, owner.OrgSlug, "1", "1", "1"]); // name, slug, members, licences, seats in use
        cells[5].ShouldMatch(@"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$");
        cells[6].ShouldBe("active");

        // Opening it is read-only: its facts, members and licences, and no form or edit button.
        await page.GetByRole(AriaRole.Link, new() { Name = orgName, Exact = true }).ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath.StartsWith("/staff/orgs/", StringComparison.Ordinal));
        var orgPath = new Uri(page.Url).AbsolutePath;
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync(orgName);
        await Assertions.Expect(page.Locator("#stat-members")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("#stat-licenses")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("#stat-seats")).ToHaveTextAsync("1");
        await Assertions.Expect(page.MemberRow(owner.Email)).ToContainTextAsync("owner");
        await Assertions.Expect(page.Rows("licenses")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Rows("licenses")).ToContainTextAsync("Stark Suite");
        await Assertions.Expect(page.Rows("licenses")).ToContainTextAsync("1 / 3");
        await Assertions.Expect(page.Locator("main form")).ToHaveCountAsync(0);
        foreach (var edit in new[] { "Edit", "Delete", "New licence", "Invite" })
        {
            await Assertions.Expect(page.Locator("main").GetByRole(AriaRole.Link, new() { Name = edit })).ToHaveCountAsync(0);
        }

        // Suspending asks first.
        await page.GetByRole(AriaRole.Link, new() { Name = "Suspend", Exact = true }).ClickAsync();
        await page.WaitForURLAsync($"**{orgPath}/suspend");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync($"Suspend {orgName}?");
        await page.GetByRole(AriaRole.Button, new() { Name = "Suspend organization" }).ClickAsync();
        await page.WaitForURLAsync($"**{orgPath}");
        await Assertions.Expect(page.Locator(".flash")).ToContainTextAsync($"{orgName} is suspended");
        await Assertions.Expect(page.Locator("#org-status")).ToHaveTextAsync("suspended");

        // Its members are told on everything but the overview, and its licences refuse seats.
        foreach (var refused in new[] { "/licenses", "/members" })
        {
            var response = await ownerPage.GotoAsync(owner.OrgPath(refused));
            response!.Status.ShouldBe((int)HttpStatusCode.Forbidden);
            await Assertions.Expect(ownerPage.Locator("main")).ToContainTextAsync("This organization is suspended");
        }

        (await ownerPage.GotoAsync(owner.OrgPath()))!.Status.ShouldBe((int)HttpStatusCode.OK);
        await Assertions.Expect(ownerPage.Locator(".notice")).ToContainTextAsync("This organization is suspended");
        using (var http = new HttpClient { BaseAddress = server.Uri })
        {
            var acquire = await http.PostAsJsonAsync("/api/v1/licenses/acquire", new { license_key = license.LicenseKey, hardware_id = "hw-stark-2" });
            acquire.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
            using var problem = JsonDocument.Parse(await acquire.Content.ReadAsStringAsync());
            problem.RootElement.GetProperty("code").GetString().ShouldBe("ORGANIZATION_SUSPENDED");
        }

        await page.GotoAsync("/staff?search=" + tag);
        await Assertions.Expect(page.OrganizationRow(orgName).Locator(".badge.suspended")).ToHaveTextAsync("suspended");

        // Unsuspending asks too, and gives the members their organization back.
        await page.GetByRole(AriaRole.Link, new() { Name = orgName, Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Unsuspend", Exact = true }).ClickAsync();
        await page.WaitForURLAsync($"**{orgPath}/unsuspend");
        await page.GetByRole(AriaRole.Button, new() { Name = "Unsuspend organization" }).ClickAsync();
        await page.WaitForURLAsync($"**{orgPath}");
        await Assertions.Expect(page.Locator(".flash")).ToContainTextAsync($"{orgName} is no longer suspended.");
        await Assertions.Expect(page.Locator("#org-status")).ToHaveTextAsync("active");
        (await ownerPage.GotoAsync(owner.OrgPath("/licenses")))!.Status.ShouldBe((int)HttpStatusCode.OK);

        // Every staff action is in the organization's audit log, with the staff user as actor.
        using var staffApi = await server.AdminAsync(staff);
        var staffId = (await staffApi.GetMeAsync()).Id;
        var events = await AuditEventsAsync(server, admin.AccessToken!, owner.OrgSlug);
        foreach (var action in new[] { "staff.organization_viewed", "organization.suspended", "organization.unsuspended" })
        {
            events.ShouldContain(e => e.Action == action && e.ActorType == "user" && e.ActorId == staffId, action);
        }

        // Opened from the search, after the suspension, from the list again and after the unsuspension.
        events.Count(e => e.Action == "staff.organization_viewed").ShouldBe(4);
        await ownerPage.GotoAsync(owner.OrgPath("/audit?action=organization.suspended"));
        await Assertions.Expect(ownerPage.Locator("#audit-events tbody tr")).ToContainTextAsync([staff.Name]);
    }

    [Theory]
    [InlineData(Backend.Sqlite)]
    [InlineData(Backend.Postgres)]
    public async Task Staff_export_organizations_and_licences_as_csv_and_each_export_is_audited(Backend backend)
    {
        var server = console.Server(backend);
        var tag = Tag();
        // A name a spreadsheet would take for a formula, with a comma and quotes: quoted and defused in the CSV.
        var orgName = $"=Wayne, \"Enterprises\" {tag}";
        var owner = await (await console.NewPageAsync(backend)).SignUpAsync(orgName);
        using var admin = await server.AdminAsync(owner);
        var license = await admin.CreateLicenseAsync(owner, "-Batmobile fleet", seats: 2);
        var (page, staff) = await console.SignUpStaffAsync(backend);

        await page.GotoAsync("/staff?search=" + tag);
        var export = page.GetByRole(AriaRole.Link, new() { Name = "Export CSV" });
        (await export.GetAttributeAsync("href")).ShouldBe("/staff/organizations.csv?search=" + tag);
        var orgId = (await page.OrganizationRow(orgName).Locator("a").GetAttributeAsync("href"))!.Split('/')[^1];
        var organizations = StaffSteps.Lines(await page.DownloadAsync(export));

        organizations.Length.ShouldBe(2);
        organizations[0].ShouldBe("id,slug,name,members,licenses,seats_in_use,created_at,suspended_at");
        organizations[1].ShouldStartWith($"{orgId},{owner.OrgSlug},\"'=Wayne, \"\"Enterprises\"\" {tag}\",1,1,0,");
        organizations[1].ShouldMatch(@",\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ,$"); // created, never suspended

        await page.GotoAsync($"/staff/orgs/{orgId}");
        var licenses = StaffSteps.Lines(await page.DownloadAsync(page.GetByRole(AriaRole.Link, new() { Name = "Export licences (CSV)" })));

        licenses.Length.ShouldBe(2);
        licenses[0].ShouldBe("id,name,status,seats_used,seats_total,expires_at,created_at");
        licenses[1].ShouldMatch($@"^{license.Id},'-Batmobile fleet,active,0,2,,\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ$");

        using var staffApi = await server.AdminAsync(staff);
        var staffId = (await staffApi.GetMeAsync()).Id;
        var events = await AuditEventsAsync(server, admin.AccessToken!, owner.OrgSlug);
        events.ShouldContain(e => e.Action == "staff.licenses_exported" && e.ActorType == "user" && e.ActorId == staffId);
        events.ShouldNotContain(e => e.Action == "staff.organizations_exported", "the list export is the platform's, not the organization's");

        if (backend == Backend.Postgres)
        {
            // The list export is filed under the platform (the nil tenant), readable only through the system path.
            await using var db = new NpgsqlConnection(server.ConnectionString);
            await db.OpenAsync();
            await using var command = new NpgsqlCommand(
                "select set_config('app.system', 'on', false); " +
                "select actor_type, actor_id, changes from audit_events " +
                "where tenant_id = '00000000-0000-0000-0000-000000000000' and action = 'staff.organizations_exported' and actor_id = @staff", db);
            command.Parameters.AddWithValue("staff", staffId);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.NextResultAsync();
            (await reader.ReadAsync()).ShouldBeTrue("one platform event for the export");
            reader.GetString(0).ShouldBe("user");
            reader.GetString(2).ShouldContain(tag);
        }
    }

    [Fact]
    public async Task Only_staff_may_open_the_staff_area_and_revoking_takes_effect_at_once()
    {
        var server = console.Server(Backend.Sqlite);
        var anonymous = await console.NewPageAsync(Backend.Sqlite);
        await anonymous.GotoAsync("/staff");
        new Uri(anonymous.Url).PathAndQuery.ShouldBe("/signin?return=%2Fstaff");

        var page = await console.NewPageAsync(Backend.Sqlite);
        var person = await page.SignUpAsync();
        using var admin = await server.AdminAsync(person);
        var orgId = (await admin.GetMeAsync()).Organizations.Single().Id;
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Staff", Exact = true })).ToHaveCountAsync(0);
        foreach (var path in new[] { "/staff", "/staff/organizations.csv", $"/staff/orgs/{orgId}", $"/staff/orgs/{orgId}/licenses.csv", $"/staff/orgs/{orgId}/suspend" })
        {
            var response = await page.GotoAsync(path);
            response!.Status.ShouldBe((int)HttpStatusCode.Forbidden, path);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Not allowed");
            await Assertions.Expect(page.GetByText("This area is for the platform's staff.")).ToBeVisibleAsync();
        }

        await page.GotoAsync(person.OrgPath());
        var forged = await page.ForgePostAsync($"/staff/orgs/{orgId}/suspend", new Dictionary<string, string>());
        forged.Status.ShouldBe((int)HttpStatusCode.Forbidden);
        (await admin.ListOrganizationsAsync()).Items.Single().SuspendedAt.ShouldBeNull();

        await server.MakeStaffAsync(person.Email);
        (await page.GotoAsync("/staff"))!.Status.ShouldBe((int)HttpStatusCode.OK);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Staff", Exact = true })).ToHaveAttributeAsync("aria-current", "page");

        await server.MakeStaffAsync(person.Email, revoke: true);
        (await page.GotoAsync("/staff"))!.Status.ShouldBe((int)HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData(ColorScheme.Light)]
    [InlineData(ColorScheme.Dark)]
    public async Task The_staff_pages_are_accessible(ColorScheme scheme)
    {
        var server = console.Server(Backend.Sqlite);
        var tag = Tag();
        var ownerPage = await console.NewPageAsync(Backend.Sqlite);
        var owner = await ownerPage.SignUpAsync("Initech " + tag);
        await console.AddMemberAsync(Backend.Sqlite, ownerPage, owner, "admin");
        using var admin = await server.AdminAsync(owner);
        await admin.CreateLicenseAsync(owner, "TPS Reports", seats: 25);
        await admin.CreateLicenseAsync(owner, "Jump to Conclusions", seats: 5);
        await (await console.NewPageAsync(Backend.Sqlite)).SignUpAsync("Initrode " + tag);
        var (page, _) = await console.SignUpStaffAsync(Backend.Sqlite, scheme);

        await page.GotoAsync("/staff?search=" + tag);
        await Assertions.Expect(page.Locator("#organizations tbody tr")).ToHaveCountAsync(2);
        await page.ShouldBeAccessibleAsync();
        await page.ScreenshotAsync("staff", scheme);

        await page.GetByRole(AriaRole.Link, new() { Name = "Initech " + tag, Exact = true }).ClickAsync();
        await Assertions.Expect(page.Rows("licenses")).ToHaveCountAsync(2);
        await page.ShouldBeAccessibleAsync();
        await page.ScreenshotAsync("staff-org", scheme);

        await page.GetByRole(AriaRole.Link, new() { Name = "Suspend", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Suspend organization" })).ToBeVisibleAsync();
        await page.ShouldBeAccessibleAsync();
    }

    private static string Tag() => Guid.NewGuid().ToString("N")[..8];

    private sealed record AuditRow(string Action, string ActorType, Guid? ActorId);

    /// <summary>The organization's audit log through the API, with the owner's bearer token (newest first, one page).</summary>
    private static async Task<List<AuditRow>> AuditEventsAsync(ConsoleServer server, string accessToken, string org)
    {
        using var http = new HttpClient { BaseAddress = server.Uri };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var page = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/orgs/{org}/audit-events?page_size=100"));
        return [.. page.RootElement.GetProperty("items").EnumerateArray().Select(e => new AuditRow(
            e.GetProperty("action").GetString()!,
            e.GetProperty("actor").GetProperty("type").GetString()!,
            e.GetProperty("actor").GetProperty("id").ValueKind == JsonValueKind.Null ? null : e.GetProperty("actor").GetProperty("id").GetGuid()))];
    }
}

using System.Net;
using System.Text.Json;
using Coditect.Client;
using Coditect.Console.Tests.Infrastructure;
using Coditect.Contracts.Licensing;
using Microsoft.Playwright;

namespace Coditect.Console.Tests.Licensing;

[Collection(ConsoleCollection.Name)]
public sealed class LicensePagesTests(ConsoleFixture console)
{
    [Theory]
    [InlineData(Backend.Sqlite)]
    public async Task Creating_a_licence_shows_its_key_once_with_a_copy_button(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        var person = await page.SignUpAsync();
        await page.GotoAsync(person.OrgPath("/licenses"));
        await Assertions.Expect(page.GetByText("No licences yet.")).ToBeVisibleAsync();
        await page.Locator(".page-head").GetByRole(AriaRole.Link, new() { Name = "New licence" }).ClickAsync();

        await page.GetByLabel("Name").FillAsync("Acme CAD, site A");
        await page.GetByLabel("Seats").FillAsync("3");
        await page.GetByLabel("Entitlements").FillAsync("export, render");
        await page.GetByLabel("Metadata").FillAsync("""{"customer": "ACME-42"}""");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create licence" }).ClickAsync();

        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath.StartsWith(person.OrgPath("/licenses/"), StringComparison.Ordinal) && !url.EndsWith("/new", StringComparison.Ordinal));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Acme CAD, site A", Level = 1 })).ToBeVisibleAsync();
        var key = (await page.Locator(".secret #license-key").TextContentAsync())!.Trim();
        key.ShouldMatch(LicenseSteps.KeyPattern);
        await Assertions.Expect(page.Locator("button[type=button][data-copy=license-key]")).ToHaveTextAsync("Copy");
        await Assertions.Expect(page.GetByText("it will not be shown again")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#fact-entitlements")).ToHaveTextAsync("export, render");
        await Assertions.Expect(page.Locator("#fact-metadata")).ToContainTextAsync("ACME-42");

        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await page.Locator("[data-copy=license-key]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-copy=license-key]")).ToHaveTextAsync("Copied");
        (await page.EvaluateAsync<string>("() => navigator.clipboard.readText()")).ShouldBe(key);

        // The key works, and is never shown again.
        using (var application = console.Server(backend).Application(key))
        {
            (await application.ValidateAsync()).Valid.ShouldBeTrue();
        }

        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#license-key")).ToHaveCountAsync(0);
        (await page.ContentAsync()).ShouldNotContain(key);
        await Assertions.Expect(page.GetByText(key[..5] + "-…-" + key[^4..])).ToBeVisibleAsync();
    }

    [Theory]
    [InlineData(Backend.Sqlite)]
    [InlineData(Backend.Postgres)]
    public async Task The_list_searches_filters_by_status_and_pages_keeping_the_filters(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        var person = await page.SignUpAsync();
        using (var admin = await console.Server(backend).AdminAsync(person))
        {
            foreach (var name in new[] { "Alpha 1", "Alpha 2", "Alpha 3", "Beta 1", "Gamma 1" })
            {
                var license = await admin.CreateLicenseAsync(person, name);
                if (name == "Beta 1")
                {
                    await admin.SuspendLicenseAsync(person.OrgSlug, license.Id);
                }
            }
        }

        await page.GotoAsync(person.OrgPath("/licenses?page_size=2"));
        await Assertions.Expect(page.Rows("licenses")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator(".pager")).ToContainTextAsync("Page 1 of 3");

        await page.GetByLabel("Search by name").FillAsync("alpha");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await page.WaitForURLAsync("**search=alpha**");
        new Uri(page.Url).Query.ShouldContain("page_size=2");
        await Assertions.Expect(page.Rows("licenses")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Rows("licenses").First).ToContainTextAsync("Alpha 3"); // newest first

        await page.GetByRole(AriaRole.Link, new() { Name = "Next" }).ClickAsync();
        await page.WaitForURLAsync("**page=2**");
        new Uri(page.Url).Query.ShouldContain("search=alpha");
        await Assertions.Expect(page.Rows("licenses")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Rows("licenses").First).ToContainTextAsync("Alpha 1");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Next" })).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Link, new() { Name = "Previous" }).ClickAsync();
        await Assertions.Expect(page.Rows("licenses").First).ToContainTextAsync("Alpha 3");
        new Uri(page.Url).Query.ShouldContain("search=alpha");

        await page.GetByLabel("Search by name").FillAsync("");
        await page.GetByLabel("Status").SelectOptionAsync("suspended");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await page.WaitForURLAsync("**status=suspended**");
        await Assertions.Expect(page.Rows("licenses")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Rows("licenses").First).ToContainTextAsync("Beta 1");
        await Assertions.Expect(page.Rows("licenses").First.Locator(".badge.suspended")).ToHaveTextAsync("suspended");

        await page.GotoAsync(person.OrgPath("/licenses?search=nothing-like-it"));
        await Assertions.Expect(page.GetByText("No licence matches.")).ToBeVisibleAsync();

        await page.GotoAsync(person.OrgPath("/licenses?status=bogus"));
        await Assertions.Expect(page.Locator("#status-error")).ToHaveTextAsync("must be active, suspended or expired.");
        await Assertions.Expect(page.Rows("licenses")).ToHaveCountAsync(5);
    }

    [Theory]
    [InlineData(Backend.Sqlite)]
    public async Task Editing_shows_errors_beside_their_fields_and_saves_valid_changes(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        var person = await page.SignUpAsync();
        using var admin = await console.Server(backend).AdminAsync(person);
        var license = await admin.CreateLicenseAsync(person, "Editable", seats: 2);

        await page.GotoAsync(person.OrgPath($"/licenses/{license.Id}"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Edit", Exact = true }).ClickAsync();
        await page.WaitForURLAsync($"**/licenses/{license.Id}/edit");
        await Assertions.Expect(page.GetByLabel("Seats")).ToHaveValueAsync("2");

        await page.GetByLabel("Seats").FillAsync("0");
        await page.GetByLabel("Metadata").FillAsync("not json");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();

        await Assertions.Expect(page.Locator("#seats-error")).ToHaveTextAsync("must be from 1 to 1,000,000.");
        await Assertions.Expect(page.GetByLabel("Seats")).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(page.Locator("#metadata-error")).ToContainTextAsync("must be a JSON object");
        await Assertions.Expect(page.Locator("#name-error")).ToBeEmptyAsync();
        await page.ShouldBeAccessibleAsync();
        (await admin.GetLicenseAsync(person.OrgSlug, license.Id)).SeatsTotal.ShouldBe(2);

        await page.GetByLabel("Seats").FillAsync("7");
        await page.GetByLabel("Expires (UTC)").FillAsync("2031-05-01T10:30");
        await page.GetByLabel("Entitlements").FillAsync("export, cloud");
        await page.GetByLabel("Metadata").FillAsync("""{"tier": "gold"}""");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();

        await page.WaitForURLAsync($"**/licenses/{license.Id}");
        await Assertions.Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("Editable is saved.");
        await Assertions.Expect(page.Locator("#fact-seats")).ToHaveTextAsync("7");
        await Assertions.Expect(page.Locator("#fact-expires")).ToHaveTextAsync("2031-05-01 10:30 UTC");
        var saved = await admin.GetLicenseAsync(person.OrgSlug, license.Id);
        saved.SeatsTotal.ShouldBe(7);
        saved.ExpiresAt.ShouldBe(new DateTime(2031, 5, 1, 10, 30, 0, DateTimeKind.Utc));
        saved.Entitlements.ShouldBe(["export", "cloud"]);
        saved.Metadata["tier"].GetString().ShouldBe("gold");

        // Saving again without touching the expiry keeps it to the tick; emptying it makes the licence perpetual.
        await page.GotoAsync(person.OrgPath($"/licenses/{license.Id}/edit"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await page.WaitForURLAsync($"**/licenses/{license.Id}");
        (await admin.GetLicenseAsync(person.OrgSlug, license.Id)).ExpiresAt.ShouldBe(saved.ExpiresAt);
        await page.GotoAsync(person.OrgPath($"/licenses/{license.Id}/edit"));
        await page.GetByLabel("Expires (UTC)").FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await page.WaitForURLAsync($"**/licenses/{license.Id}");
        await Assertions.Expect(page.Locator("#fact-expires")).ToHaveTextAsync("Never (perpetual)");
    }

    [Theory]
    [InlineData(Backend.Sqlite)]
    public async Task Suspending_asks_first_and_reinstating_restores_the_licence(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        var person = await page.SignUpAsync();
        using var admin = await console.Server(backend).AdminAsync(person);
        var license = await admin.CreateLicenseAsync(person, "Pausable");

        await page.GotoAsync(person.OrgPath($"/licenses/{license.Id}"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Suspend" }).ClickAsync();
        await page.WaitForURLAsync($"**/licenses/{license.Id}/suspend");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Suspend Pausable?" })).ToBeVisibleAsync();
        (await admin.GetLicenseAsync(person.OrgSlug, license.Id)).Status.ShouldBe(LicenseStatuses.Active); // asking changed nothing
        await page.GetByRole(AriaRole.Button, new() { Name = "Suspend licence" }).ClickAsync();

        await page.WaitForURLAsync($"**/licenses/{license.Id}");
        await Assertions.Expect(page.Locator("#license-status")).ToHaveTextAsync("suspended");
        using (var application = console.Server(backend).Application(license.LicenseKey!))
        {
            await Should.ThrowAsync<LicenseSuspendedException>(() => application.AcquireAsync("hw-suspended"));
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Reinstate" }).ClickAsync();
        await page.WaitForURLAsync($"**/licenses/{license.Id}");
        await Assertions.Expect(page.Locator("#license-status")).ToHaveTextAsync("active");
        await Assertions.Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("Pausable is reinstated.");
        (await admin.GetLicenseAsync(person.OrgSlug, license.Id)).Status.ShouldBe(LicenseStatuses.Active);
    }

    [Theory]
    [InlineData(Backend.Sqlite)]
    public async Task Renewing_asks_for_a_future_expiry_and_sets_it(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        var person = await page.SignUpAsync();
        using var admin = await console.Server(backend).AdminAsync(person);
        var license = await admin.CreateLicenseAsync(person, "Renewable");

        await page.GotoAsync(person.OrgPath($"/licenses/{license.Id}"));
        await page.GetByLabel("New expiry (UTC)").FillAsync("2020-01-01T00:00");
        await page.GetByRole(AriaRole.Button, new() { Name = "Renew" }).ClickAsync();

        await Assertions.Expect(page.Locator("#renew-error")).ToHaveTextAsync("must be in the future.");
        await Assertions.Expect(page.GetByLabel("New expiry (UTC)")).ToHaveAttributeAsync("aria-invalid", "true");
        (await admin.GetLicenseAsync(person.OrgSlug, license.Id)).ExpiresAt.ShouldBeNull();
        await page.GetByLabel("New expiry (UTC)").FillAsync("2032-12-31T23:00");
        await page.GetByRole(AriaRole.Button, new() { Name = "Renew" }).ClickAsync();

        await page.WaitForURLAsync($"**/licenses/{license.Id}");
        await Assertions.Expect(page.Locator("#fact-expires")).ToHaveTextAsync("2032-12-31 23:00 UTC");
        (await admin.GetLicenseAsync(person.OrgSlug, license.Id)).ExpiresAt.ShouldBe(new DateTime(2032, 12, 31, 23, 0, 0, DateTimeKind.Utc));
    }

    [Theory]
    [InlineData(Backend.Sqlite)]
    public async Task Deleting_asks_first_and_removes_the_licence(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        var person = await page.SignUpAsync();
        using var admin = await console.Server(backend).AdminAsync(person);
        var license = await admin.CreateLicenseAsync(person, "Doomed");

        await page.GotoAsync(person.OrgPath($"/licenses/{license.Id}"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Delete" }).ClickAsync();
        await page.WaitForURLAsync($"**/licenses/{license.Id}/delete");
        await Assertions.Expect(page.GetByText("This cannot be undone.")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Cancel" }).ClickAsync();
        await page.WaitForURLAsync($"**/licenses/{license.Id}");
        await page.GetByRole(AriaRole.Link, new() { Name = "Delete" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete licence" }).ClickAsync();

        await page.WaitForURLAsync($"**{person.OrgPath("/licenses")}");
        await Assertions.Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("Doomed is deleted.");
        await Assertions.Expect(page.GetByText("No licences yet.")).ToBeVisibleAsync();
        var gone = await page.GotoAsync(person.OrgPath($"/licenses/{license.Id}"));
        gone!.Status.ShouldBe((int)HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData(Backend.Sqlite)]
    [InlineData(Backend.Postgres)]
    public async Task A_session_shows_in_the_table_and_kicking_it_frees_the_seat(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        var person = await page.SignUpAsync();
        var server = console.Server(backend);
        using var admin = await server.AdminAsync(person);
        var license = await admin.CreateLicenseAsync(person, "Busy", seats: 1);
        using var application = server.Application(license.LicenseKey!);
        await using var lease = await application.AcquireAsync("hw-kick-me",
            new AcquireOptions { UserEmail = "grace@example.com", Hostname = "grace-laptop", AppVersion = "4.2.0" });

        await page.GotoAsync(person.OrgPath($"/licenses/{license.Id}"));
        await Assertions.Expect(page.Locator("#sessions[data-live][hx-get][hx-trigger=live]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("[data-live-status]")).ToHaveCountAsync(1);
        var row = page.Rows("sessions-table");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        foreach (var text in new[] { "hw-kick-me", "grace@example.com", "grace-laptop", "4.2.0" })
        {
            await Assertions.Expect(row).ToContainTextAsync(text);
        }

        // The live section's fragment is the same table.
        var fragment = await page.APIRequest.GetAsync(person.OrgPath($"/licenses/{license.Id}?handler=sessions"));
        (await fragment.TextAsync()).ShouldContain("hw-kick-me");

        await row.GetByRole(AriaRole.Link, new() { Name = "Kick hw-kick-me" }).ClickAsync();
        await page.WaitForURLAsync($"**/licenses/{license.Id}/sessions/{lease.SessionId}/kick");
        await Assertions.Expect(page.GetByText("grace-laptop")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Kick session" }).ClickAsync();

        await page.WaitForURLAsync($"**/licenses/{license.Id}");
        await Assertions.Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("its seat is free");
        await Assertions.Expect(page.Locator("#sessions-empty")).ToBeVisibleAsync();
        (await admin.ListSessionsAsync(person.OrgSlug, license.Id)).Items.ShouldBeEmpty();
        (await admin.GetLicenseAsync(person.OrgSlug, license.Id)).SeatsUsed.ShouldBe(0);
    }

    [Theory]
    [InlineData(Backend.Sqlite)]
    [InlineData(Backend.Postgres)]
    public async Task The_usage_chart_csv_and_turn_aways_come_from_the_roll_up(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        var person = await page.SignUpAsync();
        var server = console.Server(backend);
        using var admin = await server.AdminAsync(person);
        var license = await admin.CreateLicenseAsync(person, "Crowded", seats: 1);
        using var application = server.Application(license.LicenseKey!);
        await using var lease = await application.AcquireAsync("hw-first");
        await Should.ThrowAsync<NoSeatsAvailableException>(() => application.AcquireAsync("hw-second"));

        await page.GotoAsync(person.OrgPath($"/licenses/{license.Id}"));
        await Assertions.Expect(page.Rows("turn-aways")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Rows("turn-aways").First.Locator("td").Nth(1)).ToHaveTextAsync("1");

        var source = (await page.Locator(".chart").GetAttributeAsync("data-src"))!;
        source.ShouldContain("handler=usage");
        source.ShouldContain("bucket=hour");
        using (var chart = JsonDocument.Parse(await (await page.APIRequest.GetAsync(source)).TextAsync()))
        {
            var x = chart.RootElement.GetProperty("x");
            x.GetArrayLength().ShouldBe(24);
            var series = chart.RootElement.GetProperty("series").EnumerateArray().ToList();
            series.Select(s => s.GetProperty("label").GetString()).ShouldBe(["Seats in use", "Acquisitions", "Denials"]);
            series.Select(s => s.GetProperty("kind").GetString()).ShouldBe(["line", "bars", "bars"]);
            series.Select(s => s.GetProperty("values").EnumerateArray().Last().GetInt32()).ShouldBe([1, 1, 1]);
        }

        await Assertions.Expect(page.Locator(".chart .uplot")).ToHaveCountAsync(1); // drawn by app.js
        var csv = await page.APIRequest.GetAsync((await page.GetByRole(AriaRole.Link, new() { Name = "Download as CSV" }).GetAttributeAsync("href"))!);
        csv.Headers["content-type"].ShouldStartWith("text/csv");
        var lines = (await csv.TextAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].ShouldBe("start,peak_seats_used,acquisitions,denials");
        lines[^1].ShouldEndWith(",1,1,1");

        await page.GetByLabel("Range").SelectOptionAsync("30d");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await page.WaitForURLAsync("**range=30d**");
        (await page.Locator(".chart").GetAttributeAsync("data-src"))!.ShouldContain("bucket=day");
        await Assertions.Expect(page.Rows("turn-aways")).ToHaveCountAsync(1);
    }

    [Theory]
    [InlineData(Backend.Sqlite)]
    [InlineData(Backend.Postgres)]
    public async Task Another_organizations_licence_answers_the_not_found_page(Backend backend)
    {
        var otherPage = await console.NewPageAsync(backend);
        var other = await otherPage.SignUpAsync();
        using var otherAdmin = await console.Server(backend).AdminAsync(other);
        var theirs = await otherAdmin.CreateLicenseAsync(other, "Not yours");
        var page = await console.NewPageAsync(backend);
        var person = await page.SignUpAsync();

        foreach (var path in new[]
                 {
                     person.OrgPath($"/licenses/{theirs.Id}"), person.OrgPath($"/licenses/{theirs.Id}/edit"),
                     person.OrgPath($"/licenses/{theirs.Id}/delete"), other.OrgPath($"/licenses/{theirs.Id}"),
                 })
        {
            var response = await page.GotoAsync(path);
            response!.Status.ShouldBe((int)HttpStatusCode.NotFound, path);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Not found");
        }

        // A forged post with the caller's own valid token changes nothing either.
        await page.GotoAsync(person.OrgPath("/licenses"));
        var token = await page.RequestTokenAsync();
        var post = await page.APIRequest.PostAsync(person.OrgPath($"/licenses/{theirs.Id}/delete"),
            new() { Form = page.APIRequest.CreateFormData().Set("__csrf", token) });
        post.Status.ShouldBe((int)HttpStatusCode.NotFound);
        (await otherAdmin.GetLicenseAsync(other.OrgSlug, theirs.Id)).Name.ShouldBe("Not yours");
    }

    [Theory]
    [InlineData(Backend.Sqlite)]
    [InlineData(Backend.Postgres)]
    public async Task A_viewer_sees_no_manage_buttons_and_a_forged_post_is_refused(Backend backend)
    {
        var server = console.Server(backend);
        var owner = await (await console.NewPageAsync(backend)).SignUpAsync();
        using var admin = await server.AdminAsync(owner);
        var license = await admin.CreateLicenseAsync(owner, "Look only", seats: 2);
        using var application = server.Application(license.LicenseKey!);
        await using var lease = await application.AcquireAsync("hw-viewed");
        var viewer = await server.InviteAsync(owner, "viewer");
        var page = await console.NewPageAsync(backend);
        await page.SignInAsync(viewer.Email, viewer.Password);
        await page.WaitForURLAsync("**/orgs/**");

        await page.GotoAsync(viewer.OrgPath("/licenses"));
        await Assertions.Expect(page.Rows("licenses")).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "New licence" })).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Link, new() { Name = "Look only" }).ClickAsync();
        await Assertions.Expect(page.Rows("sessions-table")).ToHaveCountAsync(1);
        foreach (var name in new[] { "Edit", "Suspend", "Delete", "Reinstate", "Renew", "Kick hw-viewed" })
        {
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true })).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true })).ToHaveCountAsync(0);
        }

        // The viewer's own valid antiforgery token, a well-formed form: the role still refuses it.
        var token = await page.RequestTokenAsync();
        var edit = viewer.OrgPath($"/licenses/{license.Id}/edit");
        var forged = await page.APIRequest.PostAsync(edit, new()
        {
            Form = page.APIRequest.CreateFormData().Set("__csrf", token).Set("name", "Taken over").Set("seats_total", "99"),
            Headers = new Dictionary<string, string> { ["Accept"] = "text/html" }, // as a browser posts a form: the error page
        });
        forged.Status.ShouldBe((int)HttpStatusCode.Forbidden);
        (await forged.TextAsync()).ShouldContain("Not allowed");
        foreach (var action in new[] { "/suspend", "/delete", $"/sessions/{lease.SessionId}/kick", "?handler=renew", "?handler=reinstate" })
        {
            var refused = await page.APIRequest.PostAsync(viewer.OrgPath($"/licenses/{license.Id}{action}"),
                new() { Form = page.APIRequest.CreateFormData().Set("__csrf", token).Set("expires_at", "2040-01-01T00:00") });
            refused.Status.ShouldBe((int)HttpStatusCode.Forbidden, action);
        }

        (await page.GotoAsync(edit))!.Status.ShouldBe((int)HttpStatusCode.Forbidden);
        var unchanged = await admin.GetLicenseAsync(owner.OrgSlug, license.Id);
        unchanged.Name.ShouldBe("Look only");
        unchanged.Status.ShouldBe(LicenseStatuses.Active);
        unchanged.SeatsUsed.ShouldBe(1);
    }

    [Theory]
    [InlineData(ColorScheme.Light)]
    [InlineData(ColorScheme.Dark)]
    public async Task The_licence_pages_are_accessible(ColorScheme scheme)
    {
        var page = await console.NewPageAsync(Backend.Sqlite, scheme);
        var person = await page.SignUpAsync("Initech");
        var server = console.Server(Backend.Sqlite);
        using var admin = await server.AdminAsync(person);
        await admin.CreateLicenseAsync(person, "Initech Render Farm", seats: 10);
        var suspended = await admin.CreateLicenseAsync(person, "Initech Legacy", seats: 5);
        await admin.SuspendLicenseAsync(person.OrgSlug, suspended.Id);
        var license = await admin.CreateLicenseAsync(person, "Initech CAD, HQ", seats: 2);
        using var application = server.Application(license.LicenseKey!);
        await using var first = await application.AcquireAsync("7f3a-workstation-01",
            new AcquireOptions { UserEmail = "peter@initech.example", Hostname = "ws-01", AppVersion = "3.1.4" });
        await using var second = await application.AcquireAsync("7f3a-workstation-02",
            new AcquireOptions { UserEmail = "samir@initech.example", Hostname = "ws-02", AppVersion = "3.1.4" });
        await Should.ThrowAsync<NoSeatsAvailableException>(() => application.AcquireAsync("7f3a-workstation-03"));

        await page.GotoAsync(person.OrgPath("/licenses"));
        await page.ShouldBeAccessibleAsync();
        await page.ScreenshotAsync("licenses", scheme);

        await page.GotoAsync(person.OrgPath("/licenses/new"));
        await page.ShouldBeAccessibleAsync();

        await page.GotoAsync(person.OrgPath($"/licenses/{license.Id}"));
        await Assertions.Expect(page.Locator(".chart .uplot")).ToHaveCountAsync(1);
        await page.ShouldBeAccessibleAsync();
        await page.ScreenshotAsync("license", scheme);

        await page.GotoAsync(person.OrgPath($"/licenses/{license.Id}/edit"));
        await page.ShouldBeAccessibleAsync();
    }
}

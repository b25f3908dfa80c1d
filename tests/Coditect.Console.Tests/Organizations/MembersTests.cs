using System.Net;
using Coditect.Console.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Coditect.Console.Tests.Organizations;

[Collection(ConsoleCollection.Name)]
public sealed class MembersTests(ConsoleFixture console)
{
    [Theory]
    [InlineData(Backend.Sqlite)]
    public async Task An_invitee_signs_up_from_the_copied_link_and_lands_in_the_organization_with_the_role(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        var owner = await page.SignUpAsync();
        var email = $"grace-{Guid.NewGuid().ToString("N")[..8]}@example.com";

        var link = await page.InviteAsync(owner, email, "admin");
        await page.GetByRole(AriaRole.Button, new() { Name = "Copy" }).ClickAsync();
        var copied = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");

        copied.ShouldBe(link);
        link.ShouldStartWith(new Uri(console.Server(backend).Uri, "/invitations/cdi_").AbsoluteUri);
        var (invitee, person) = await console.JoinAsync(backend, copied, email, owner.OrgSlug);
        await Assertions.Expect(invitee.GetByRole(AriaRole.Status)).ToContainTextAsync("joined");
        await Assertions.Expect(invitee.GetByRole(AriaRole.Link, new() { Name = "API keys" })).ToBeVisibleAsync(); // an admin's menu
        await page.GotoAsync(owner.OrgPath("/members"));
        await Assertions.Expect(page.MemberRow(email).Locator("select")).ToHaveValueAsync("admin");
        await Assertions.Expect(page.GetByText("No pending invitations.")).ToBeVisibleAsync();
        (await invitee.GotoAsync(link))!.Status.ShouldBe((int)HttpStatusCode.NotFound, "the link works once");
        person.OrgSlug.ShouldBe(owner.OrgSlug);
    }

    [Theory]
    [InlineData(Backend.Sqlite)]
    public async Task A_signed_in_person_accepts_with_one_button(Backend backend)
    {
        var ownerPage = await console.NewPageAsync(backend);
        var owner = await ownerPage.SignUpAsync();
        var inviteePage = await console.NewPageAsync(backend);
        var invitee = await inviteePage.SignUpAsync();
        var link = await ownerPage.InviteAsync(owner, invitee.Email, "member");

        await inviteePage.GotoAsync(link);
        await Assertions.Expect(inviteePage.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Join Acme");
        await inviteePage.ShouldBeAccessibleAsync();
        await inviteePage.GetByRole(AriaRole.Button, new() { Name = "Accept invitation" }).ClickAsync();

        await inviteePage.WaitForURLAsync($"**{owner.OrgPath()}");
        await Assertions.Expect(inviteePage.GetByRole(AriaRole.Status)).ToContainTextAsync("you joined as member");
        await inviteePage.Locator("details.switcher > summary").ClickAsync();
        await Assertions.Expect(inviteePage.Locator("details.switcher li")).ToHaveCountAsync(3); // two organizations and "New organization"
    }

    [Theory]
    [InlineData(Backend.Sqlite)]
    [InlineData(Backend.Postgres)]
    public async Task An_owner_changes_a_role_and_removes_a_member_after_confirming(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        var owner = await page.SignUpAsync();
        var (_, member) = await console.AddMemberAsync(backend, page, owner, "viewer");

        await page.GotoAsync(owner.OrgPath("/members"));
        var row = page.MemberRow(member.Email);
        await row.Locator("select").SelectOptionAsync("member");
        await row.GetByRole(AriaRole.Button, new() { Name = "Change role" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync($"{member.Name} is now member.");
        await Assertions.Expect(page.MemberRow(member.Email).Locator("select")).ToHaveValueAsync("member");

        await page.MemberRow(member.Email).GetByRole(AriaRole.Link, new() { Name = "Remove" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync($"Remove {member.Name}?");
        await page.ShouldBeAccessibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove member" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"{member.Name} was removed");
        await Assertions.Expect(page.MemberRow(member.Email)).ToHaveCountAsync(0);
    }

    [Theory]
    [InlineData(Backend.Sqlite)]
    public async Task The_last_owner_cannot_demote_or_remove_themselves_and_is_told_why(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        var owner = await page.SignUpAsync();
        await page.GotoAsync(owner.OrgPath("/members"));

        var row = page.MemberRow(owner.Email);
        await row.Locator("select").SelectOptionAsync("admin");
        var demote = await page.RunAndWaitForResponseAsync(
            () => row.GetByRole(AriaRole.Button, new() { Name = "Change role" }).ClickAsync(), r => r.Request.Method == "POST");

        demote.Status.ShouldBe((int)HttpStatusCode.Conflict);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("An organization needs at least one owner: make another member owner first.");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Members");
        await Assertions.Expect(page.MemberRow(owner.Email).Locator("select")).ToHaveValueAsync("owner");

        await page.MemberRow(owner.Email).GetByRole(AriaRole.Link, new() { Name = "Leave" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Leave" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("An organization needs at least one owner: make another member owner first.");
        await page.GotoAsync(owner.OrgPath("/members"));
        await Assertions.Expect(page.MemberRow(owner.Email)).ToHaveCountAsync(1);
    }

    [Theory]
    [InlineData(Backend.Sqlite)]
    public async Task A_revoked_invitations_link_says_it_is_no_longer_valid(Backend backend)
    {
        var page = await console.NewPageAsync(backend);
        var owner = await page.SignUpAsync();
        var email = $"ghost-{Guid.NewGuid().ToString("N")[..8]}@example.com";
        var link = await page.InviteAsync(owner, email, "member");

        await page.GetByRole(AriaRole.Link, new() { Name = $"Revoke the invitation for {email}" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Revoke the invitation?");
        await page.ShouldBeAccessibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke invitation" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"The invitation for {email} was revoked");
        await Assertions.Expect(page.GetByText("No pending invitations.")).ToBeVisibleAsync();

        var visitor = await console.NewPageAsync(backend);
        var response = await visitor.GotoAsync(link);
        response!.Status.ShouldBe((int)HttpStatusCode.NotFound);
        await Assertions.Expect(visitor.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("This invitation is no longer valid");
        await visitor.ShouldBeAccessibleAsync();
        (await visitor.GotoAsync("/invitations/cdi_no-such-token"))!.Status.ShouldBe((int)HttpStatusCode.NotFound);
        await Assertions.Expect(visitor.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("This invitation is no longer valid");
    }

    [Fact]
    public async Task A_viewer_sees_no_buttons_that_would_be_refused_and_a_forged_post_gets_403()
    {
        var ownerPage = await console.NewPageAsync(Backend.Sqlite);
        var owner = await ownerPage.SignUpAsync();
        var (page, viewer) = await console.AddMemberAsync(Backend.Sqlite, ownerPage, owner, "viewer");

        await page.GotoAsync(owner.OrgPath("/members"));
        await Assertions.Expect(page.MemberRow(owner.Email)).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Invite" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Change role" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Remove" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Pending invitations" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "API keys" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Audit log" })).ToHaveCountAsync(0);
        await page.ShouldBeAccessibleAsync();

        var invite = await page.ForgePostAsync(owner.OrgPath("/members?handler=invite"), new Dictionary<string, string> { ["email"] = "x@example.com", ["role"] = "owner" });
        var promote = await page.ForgePostAsync(owner.OrgPath("/members?handler=role"), new Dictionary<string, string>
        {
            ["user_id"] = await OwnUserIdAsync(ownerPage, owner, viewer), ["role"] = "admin",
        });
        var key = await page.ForgePostAsync(owner.OrgPath("/api-keys"), new Dictionary<string, string> { ["name"] = "forged", ["role"] = "viewer" });

        invite.Status.ShouldBe((int)HttpStatusCode.Forbidden);
        promote.Status.ShouldBe((int)HttpStatusCode.Forbidden);
        key.Status.ShouldBe((int)HttpStatusCode.Forbidden);
        (await page.GotoAsync(owner.OrgPath("/api-keys")))!.Status.ShouldBe((int)HttpStatusCode.Forbidden);
        (await page.GotoAsync(owner.OrgPath("/audit")))!.Status.ShouldBe((int)HttpStatusCode.Forbidden);
        await ownerPage.GotoAsync(owner.OrgPath("/members"));
        await Assertions.Expect(ownerPage.MemberRow(viewer.Email).Locator("select")).ToHaveValueAsync("viewer");
        await Assertions.Expect(ownerPage.GetByText("No pending invitations.")).ToBeVisibleAsync();
    }

    [Theory]
    [InlineData(ColorScheme.Light)]
    [InlineData(ColorScheme.Dark)]
    public async Task The_members_page_and_the_invitation_pages_are_accessible(ColorScheme scheme)
    {
        var page = await console.NewPageAsync(Backend.Sqlite, scheme);
        var owner = await page.SignUpAsync("Initech");
        await console.AddMemberAsync(Backend.Sqlite, page, owner, "member");
        var email = $"milton-{Guid.NewGuid().ToString("N")[..8]}@example.com";
        var link = await page.InviteAsync(owner, email, "viewer");

        await page.ShouldBeAccessibleAsync(); // with the link shown once, the member rows and the pending invitation
        await page.ScreenshotAsync("members", scheme);

        var visitor = await console.NewPageAsync(Backend.Sqlite, scheme);
        await visitor.GotoAsync(link);
        await visitor.ShouldBeAccessibleAsync();
        await visitor.ScreenshotAsync("invitation", scheme);
    }

    /// <summary>The viewer's user id, as the owner's members page has it (the role form's hidden field).</summary>
    private static async Task<string> OwnUserIdAsync(IPage ownerPage, Person owner, Person viewer)
    {
        await ownerPage.GotoAsync(owner.OrgPath("/members"));
        return (await ownerPage.MemberRow(viewer.Email).Locator("input[name=user_id]").GetAttributeAsync("value"))!;
    }
}

using Coditect.Console.Tests.Infrastructure;
using Coditect.Console.Tests.Organizations;
using Microsoft.Playwright;

namespace Coditect.Console.Tests.DevContext;

[Collection(ConsoleCollection.Name)]
public sealed class WorkPagesTests(ConsoleFixture console)
{
    private const string Checklist = """
        ## Sprint 1
        - [ ] Write the spec
        - [x] Set up CI
        """;

    [Theory]
    [InlineData(Backend.Sqlite)]
    [InlineData(Backend.Postgres)]
    public async Task An_owner_imports_a_checklist_moves_a_card_by_keyboard_and_by_drag_and_versions_the_plan(Backend backend)
    {
        // axe once per page, on one backend: the markup does not depend on the database.
        var checkAccessibility = backend == Backend.Sqlite;
        var page = await console.NewPageAsync(backend);
        await page.SignUpAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Projects" }).ClickAsync();
        await Assertions.Expect(page.GetByText("No projects yet.")).ToBeVisibleAsync();

        await page.GetByLabel("Key", new() { Exact = true }).FillAsync("bad key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
        await Assertions.Expect(page.Locator("#project-name-error")).Not.ToBeEmptyAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Apollo");
        await page.GetByLabel("Key", new() { Exact = true }).FillAsync("APO");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("(APO) is created");

        await page.GetByLabel("Markdown", new() { Exact = true }).FillAsync(Checklist);
        await page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("1 task lists and 2 tasks");
        await Assertions.Expect(page.Locator("#stat-tasks")).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("#stat-done")).ToHaveTextAsync("50 %");
        if (checkAccessibility)
        {
            await page.ShouldBeAccessibleAsync();
        }

        await page.GetByRole(AriaRole.Link, new() { Name = "Board", Exact = true }).ClickAsync();
        var todo = page.Locator(".board-column[data-status=todo]");
        var inProgress = page.Locator(".board-column[data-status=in_progress]");
        var done = page.Locator(".board-column[data-status=done]");
        await Assertions.Expect(todo.Locator("#card-APO-1")).ToBeVisibleAsync();
        await Assertions.Expect(done.Locator("#card-APO-2")).ToBeVisibleAsync();
        if (checkAccessibility)
        {
            await page.ShouldBeAccessibleAsync();
        }

        // The keyboard: the card keeps focus after htmx swaps the board, so a second key press moves it on.
        await page.Locator("#card-APO-1").FocusAsync();
        await page.Keyboard.PressAsync("Alt+ArrowRight");
        await Assertions.Expect(inProgress.Locator("#card-APO-1")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#card-APO-1")).ToBeFocusedAsync();
        await Assertions.Expect(page.Locator("#board-message")).ToHaveTextAsync("APO-1 moved to In progress.");

        // Drag and drop, back to the first column.
        await page.Locator("#card-APO-1").DragToAsync(todo);
        await Assertions.Expect(todo.Locator("#card-APO-1")).ToBeVisibleAsync();

        // The card's own form, as without a script.
        await page.GetByLabel("Status of APO-1").SelectOptionAsync("done");
        await page.GetByRole(AriaRole.Button, new() { Name = "Move APO-1" }).ClickAsync();
        await Assertions.Expect(done.Locator("#card-APO-1")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "APO-1 Write the spec" }).ClickAsync();
        await Assertions.Expect(page.Locator("#task-status")).ToHaveTextAsync("Done");
        await page.GetByRole(AriaRole.Button, new() { Name = "Reopen" }).ClickAsync();
        await Assertions.Expect(page.Locator("#task-status")).ToHaveTextAsync("To do");
        await page.GetByLabel("Depends on (reference)").FillAsync("APO-9");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add dependency" }).ClickAsync();
        await Assertions.Expect(page.Locator("#dep-reference-error")).ToContainTextAsync("not found");
        await page.GetByLabel("Depends on (reference)").FillAsync("APO-2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add dependency" }).ClickAsync();
        await Assertions.Expect(page.Locator("#depends-on")).ToContainTextAsync("APO-2 Set up CI");
        if (checkAccessibility)
        {
            await page.ShouldBeAccessibleAsync();
        }

        await page.GotoAsync(page.Url.Split("/tasks/")[0] + "/projects");
        await page.GetByRole(AriaRole.Link, new() { Name = "Apollo", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Plan", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByText("This project has no plan yet.")).ToBeVisibleAsync();
        await page.GetByLabel("Plan (markdown)").FillAsync("# Apollo\nShip the spec.\n");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save new version" }).ClickAsync();
        await Assertions.Expect(page.Locator("#plan-version")).ToHaveTextAsync("version 1");
        await page.GetByLabel("Plan (markdown)").FillAsync("# Apollo\nShip the spec and the CLI.\n");
        await page.GetByLabel("What changed").FillAsync("Adds the CLI");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save new version" }).ClickAsync();
        await Assertions.Expect(page.Locator("#plan-versions tbody tr")).ToHaveCountAsync(2);
        await page.GetByRole(AriaRole.Link, new() { Name = "Changes in version 2" }).First.ClickAsync();
        await Assertions.Expect(page.Locator("#plan-diff .add")).ToHaveTextAsync("+Ship the spec and the CLI.");
        await Assertions.Expect(page.Locator("#plan-diff .del")).ToHaveTextAsync("-Ship the spec.");
        if (checkAccessibility)
        {
            await page.ShouldBeAccessibleAsync();
        }

        await page.GetByRole(AriaRole.Link, new() { Name = "Repositories" }).First.ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("apollo");
        await page.GetByLabel("Project", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Apollo" });
        await page.GetByRole(AriaRole.Button, new() { Name = "Register repository" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("coditect repo sync");
        await Assertions.Expect(page.GetByText("No commits yet.")).ToBeVisibleAsync();
        if (checkAccessibility)
        {
            await page.ShouldBeAccessibleAsync();
        }
    }

    [Fact]
    public async Task A_viewer_reads_the_board_but_gets_no_forms_and_a_forged_move_is_refused()
    {
        var ownerPage = await console.NewPageAsync(Backend.Sqlite);
        var owner = await ownerPage.SignUpAsync();
        await ownerPage.GotoAsync(owner.OrgPath("/projects"));
        await ownerPage.GetByLabel("Name", new() { Exact = true }).FillAsync("Gemini");
        await ownerPage.GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
        await ownerPage.GetByLabel("Markdown", new() { Exact = true }).FillAsync(Checklist);
        await ownerPage.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        await Assertions.Expect(ownerPage.GetByRole(AriaRole.Status).First).ToContainTextAsync("2 tasks");
        var projectPath = new Uri(ownerPage.Url).AbsolutePath;

        var (page, _) = await console.AddMemberAsync(Backend.Sqlite, ownerPage, owner, "viewer");
        await page.GotoAsync(projectPath + "/board");
        await Assertions.Expect(page.Locator(".task-card")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("form.status-form")).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Add task" })).ToHaveCountAsync(0);
        var reference = (await page.Locator(".task-card").First.GetAttributeAsync("data-task"))!;
        var forged = await page.ForgePostAsync(projectPath + "/board?handler=status", new Dictionary<string, string> { ["task"] = reference, ["status"] = "done" });
        forged.Status.ShouldBe(403);
    }
}

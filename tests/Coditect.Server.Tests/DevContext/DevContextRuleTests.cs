using Coditect.Server.DevContext.Plans;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.DevContext.Tasks;

namespace Coditect.Server.Tests.DevContext;

/// <summary>The Dev Context rules that need no database: keys, references, checklists and the line diff.</summary>
public sealed class DevContextRuleTests
{
    [Theory]
    [InlineData("Coditect Platform", "CP")]
    [InlineData("Billing", "BIL")]
    [InlineData("a", "APR")]
    [InlineData("2024 Roadmap", "R")]
    [InlineData("Çà et là", "CEL")]
    [InlineData("one two three four five six seven eight nine ten eleven", "OTTFFSSENT")]
    public void A_key_comes_from_the_names_initials_or_its_first_letters(string name, string key)
    {
        var derived = ProjectKeys.FromName(name);
        ProjectKeys.IsValid(derived).ShouldBeTrue(derived);
        derived.ShouldStartWith(key);
    }

    [Fact]
    public void References_are_found_once_each_and_only_in_upper_case()
    {
        ProjectKeys.FindReferences("PRJ-1 fixes PRJ-1, AB2-30; not prj-4, not X-5, not PRJ-0, not APRJ-7x")
            .ShouldBe([("PRJ", 1), ("AB2", 30)]);
        ProjectKeys.ParseReference("prj-42").ShouldBe(("PRJ", 42));
        ProjectKeys.ParseReference("PRJ-").ShouldBeNull();
    }

    [Fact]
    public void A_checklist_written_reads_back_the_same()
    {
        const string markdown = "## One\n\n- [ ] a\n  - [x] b\n    - [ ] c\n- [x] d\n\n## Two\n\n## Three\n\n- [ ] e\n";
        var sections = Checklist.Parse(markdown);
        Checklist.Write(sections).ShouldBe(markdown);
        Checklist.Count(sections).ShouldBe(5);
    }

    [Fact]
    public void Items_in_code_blocks_and_plain_bullets_are_not_tasks()
    {
        var sections = Checklist.Parse("- [ ] first\n```\n- [ ] in code\n```\n- plain\n-  [ ]\n");
        sections.Single().Title.ShouldBe(Checklist.DefaultList);
        sections.Single().Items.Select(i => i.Title).ShouldBe(["first"]);
    }

    [Fact]
    public void The_diff_of_equal_texts_is_empty_and_of_new_text_all_additions()
    {
        LineDiff.Unified("a\nb\n", "a\nb\n", "v1", "v2").Diff.ShouldBe("");
        LineDiff.Unified("", "x\ny\n", "v0", "v1").Diff.ShouldBe("--- v0\n+++ v1\n@@ -0,0 +1,2 @@\n+x\n+y\n");
        LineDiff.Unified("x\ny\n", "", "v1", "v2").Diff.ShouldBe("--- v1\n+++ v2\n@@ -1,2 +0,0 @@\n-x\n-y\n");
    }

    [Fact]
    public void Far_apart_changes_make_separate_hunks_with_three_lines_of_context()
    {
        var before = string.Join('\n', Enumerable.Range(1, 20).Select(i => $"line {i}")) + "\n";
        var after = before.Replace("line 2\n", "line two\n", StringComparison.Ordinal).Replace("line 18\n", "line eighteen\n", StringComparison.Ordinal);
        var (diff, additions, deletions) = LineDiff.Unified(before, after, "a", "b");
        (additions, deletions).ShouldBe((2, 2));
        diff.ShouldContain("@@ -1,5 +1,5 @@\n line 1\n-line 2\n+line two\n line 3\n line 4\n line 5\n");
        diff.ShouldContain("@@ -15,6 +15,6 @@\n line 15\n line 16\n line 17\n-line 18\n+line eighteen\n line 19\n line 20\n");
    }

    [Fact]
    public void Two_unrelated_large_texts_still_diff_quickly_and_correctly()
    {
        var a = string.Join('\n', Enumerable.Range(0, 20_000).Select(i => $"a{i}"));
        var b = string.Join('\n', Enumerable.Range(0, 20_000).Select(i => $"b{i}"));
        var (diff, additions, deletions) = LineDiff.Unified(a, b, "a", "b");
        (additions, deletions).ShouldBe((20_000, 20_000));
        diff.Split('\n').Count(l => l.StartsWith('-') && !l.StartsWith("---", StringComparison.Ordinal)).ShouldBe(20_000);
    }
}

using Coditect.Cli;

namespace Coditect.Client.Tests.Cli;

/// <summary>The parser of <c>repo sync</c>'s <c>git log</c> records (pure: no git needed).</summary>
public sealed class GitLogTests
{
    private const string Sha = "0123456789abcdef0123456789abcdef01234567";
    private const string Parent = "89abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public void A_record_gives_the_commit_with_its_numstat_totals_and_binary_files_count_without_lines()
    {
        var output = $"\u001e{Sha}\u001f{Parent}\u001fAda\tL.\u001fada@example.com\u001f2026-12-01T10:00:00+01:00\u001fBob\u001fbob@example.com\u001f"
            + "2026-12-01T11:00:00+01:00\u001fFix APO-1\n\nBody with a NUL \0 here\n\u001f\n\n3\t1\tsrc/a.cs\n-\t-\timage.png\n10\t0\tdocs/b.md\n";

        var commit = GitLog.Parse(output, "main").ShouldHaveSingleItem();

        commit.Sha.ShouldBe(Sha);
        commit.Parents.ShouldBe([Parent]);
        commit.AuthorName.ShouldBe("Ada\uFFFDL.", "a control character in a short field becomes U+FFFD");
        commit.AuthoredAt.ShouldBe(new DateTime(2026, 12, 1, 9, 0, 0, DateTimeKind.Utc));
        commit.CommittedAt.ShouldBe(new DateTime(2026, 12, 1, 10, 0, 0, DateTimeKind.Utc));
        commit.Message.ShouldBe("Fix APO-1\n\nBody with a NUL \uFFFD here");
        commit.Branches.ShouldBe(["main"]);
        (commit.FilesChanged, commit.Additions, commit.Deletions).ShouldBe((3, 13, 1));
    }

    [Fact]
    public void A_root_commit_has_no_parents_and_no_output_gives_no_commits()
    {
        GitLog.Parse("", "main").ShouldBeEmpty();
        var root = GitLog.Parse($"\u001e{Sha}\u001f\u001fA\u001fa@x\u001f2026-01-01T00:00:00Z\u001fA\u001fa@x\u001f2026-01-01T00:00:00Z\u001fInit\n\u001f\n", "dev").Single();
        root.Parents.ShouldBeEmpty();
        root.FilesChanged.ShouldBe(0);
    }
}
